using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Corrosion.Bench.Replication;

/// <summary>
/// `sustained` suite (issue 14): N <c>corrosion agent</c> processes in one cluster on loopback (<see cref="AgentCluster"/>); writers
/// spread over every node insert fresh rows through the HTTP API, each request one transaction of
/// several single-row INSERT statements (as a user batching writes does); rows/s accepted, and the time
/// from the writers stopping until every node holds every row, checked by counting rows on every node.
/// Arguments: [seconds = 15] [writers per node = 4] [rows per transaction = 25] [nodes = 3] [--cli path/to/corrosion.dll, or the NativeAOT executable].
/// The agents inherit the environment (DOTNET_* runtime knobs can be compared run against run).
/// </summary>
internal static class SustainedSuite
{
    public static int Run(string[] args)
    {
        var cliIndex = Array.IndexOf(args, "--cli");
        var cli = cliIndex >= 0 && cliIndex + 1 < args.Length ? Path.GetFullPath(args[cliIndex + 1]) : AgentProcess.DefaultCli();
        var numbers = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (cliIndex < 0 || i != cliIndex + 1))
            .Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var seconds = numbers.Length > 0 ? numbers[0] : 15;
        var writersPerNode = numbers.Length > 1 ? numbers[1] : 4;
        var rowsPerTx = numbers.Length > 2 ? numbers[2] : 25;
        var nodes = numbers.Length > 3 ? numbers[3] : 3;
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"sustained: {cli} does not exist; build it first (dotnet build -c Release src/Corrosion.Cli) or pass --cli");
            return 2;
        }

        return RunAsync(cli, seconds, writersPerNode, rowsPerTx, nodes).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string cli, int seconds, int writersPerNode, int rowsPerTx, int size)
    {
        await using var cluster = await AgentCluster.StartAsync(cli, size);
        var agents = cluster.Agents;
        var clients = cluster.Clients;
        var accepted = 0L;
        var failed = 0L;
        string? firstError = null;
        var latencies = new List<double>();
        var cpuBefore = agents.Select(a => PropagationSuite.CpuSeconds(a.Process.Id)).ToList();
        var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (seconds * Stopwatch.Frequency);
        var writers = Enumerable.Range(0, size * writersPerNode).Select(w => Task.Run(async () =>
        {
            var client = clients[w % size];
            var mine = new List<double>();
            var batch = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var body = Transaction(w, batch++, rowsPerTx);
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await client.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Add(ref accepted, rowsPerTx);
                        mine.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstError, $"{(int)response.StatusCode} {text}", null);
                    }
                }
                catch (HttpRequestException e)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.Message, null);
                }
            }

            lock (latencies)
            {
                latencies.AddRange(mine);
            }
        })).ToList();

        // While writing: how far the node furthest behind trails what was accepted, once a second.
        var behind = new List<long>();
        while (writers.Any(w => !w.IsCompleted))
        {
            await Task.WhenAny(Task.WhenAll(writers), Task.Delay(1000));
            if (writers.Any(w => !w.IsCompleted))
            {
                var soFar = Interlocked.Read(ref accepted);
                var counts = await Task.WhenAll(clients.Select(CountAsync));
                behind.Add(soFar - counts.Min());
            }
        }

        await Task.WhenAll(writers);
        var stopped = Stopwatch.GetTimestamp();
        var writing = Stopwatch.GetElapsedTime(started, stopped).TotalSeconds;
        var cpu = agents.Select((a, i) => (PropagationSuite.CpuSeconds(a.Process.Id) - cpuBefore[i]) / writing * 100).ToList();
        var benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore).TotalSeconds / writing * 100;

        long[] last = [];
        TimeSpan? everywhere = null;
        while (Stopwatch.GetElapsedTime(stopped) < TimeSpan.FromSeconds(60))
        {
            last = await Task.WhenAll(clients.Select(CountAsync));
            if (last.All(c => c == accepted))
            {
                everywhere = Stopwatch.GetElapsedTime(stopped);
                break;
            }

            await Task.Delay(20);
        }

        Console.WriteLine($"## sustained: {size} `corrosion agent` processes ({Path.GetFileName(cli)}) on loopback (plaintext gossip), {writersPerNode} HTTP writers per node, {rowsPerTx} single-row INSERTs per transaction, {seconds} s");
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"- accepted: {accepted:N0} rows in {writing:F1} s = **{accepted / writing:N0} rows/s** ({accepted / rowsPerTx / writing:N0} tx/s; {failed} failed requests{(firstError is null ? "" : $", first: {firstError}")}); per transaction {Percentiles.Summary(latencies)}"));
        Console.WriteLine(FormattableString.Invariant($"- while writing, the node furthest behind trailed the accepted rows by at most {(behind.Count == 0 ? 0 : behind.Max()):N0} rows (sampled once a second: {string.Join(", ", behind.Select(b => b.ToString("N0", CultureInfo.InvariantCulture)))})"));
        Console.WriteLine(FormattableString.Invariant($"- CPU while writing ({Environment.ProcessorCount} cores): agents {string.Join(" / ", cpu.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))} % of a core, this client {benchCpu:F0} %; total {cpu.Sum() + benchCpu:F0} % of {Environment.ProcessorCount * 100} %"));
        Console.WriteLine(everywhere is { } t
            ? FormattableString.Invariant($"- every row on every node **{t.TotalMilliseconds:F0} ms** after the writers stopped (row counts: {string.Join(", ", last)})")
            : FormattableString.Invariant($"- NOT every row on every node 60 s after the writers stopped (row counts: {string.Join(", ", last)} of {accepted})"));
        Console.WriteLine();
        return everywhere is null ? 1 : 0;
    }

    /// <summary>One transaction of <paramref name="rows"/> INSERT statements with keys unique to the writer and batch.</summary>
    private static string Transaction(int writer, int batch, int rows)
    {
        var statements = new object[rows];
        for (var r = 0; r < rows; r++)
        {
            statements[r] = new object[] { "INSERT INTO kv (k, v) VALUES (?, ?)", new[] { FormattableString.Invariant($"w{writer}-b{batch}-r{r}"), "value" } };
        }

        return JsonSerializer.Serialize(statements);
    }

    private static async Task<long> CountAsync(HttpClient client)
    {
        using var content = new StringContent("\"SELECT count(*) FROM kv\"", Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("v1/queries", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("row", out var row))
            {
                return row[1][0].GetInt64();
            }
        }

        throw new InvalidOperationException("count(*) returned no row");
    }
}
