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
        var stages = new List<string>();
        while (writers.Any(w => !w.IsCompleted))
        {
            await Task.WhenAny(Task.WhenAll(writers), Task.Delay(1000));
            if (writers.Any(w => !w.IsCompleted))
            {
                var soFar = Interlocked.Read(ref accepted);
                var counts = await Task.WhenAll(clients.Select(CountAsync));
                behind.Add(soFar - counts.Min());
                var figures = await Task.WhenAll(clients.Select(FiguresAsync));
                var furthest = Array.IndexOf(counts, counts.Min());
                stages.Add(FormattableString.Invariant(
                    $"{soFar - counts.Min():N0} (node {furthest}: receive queue {Figure(figures[furthest], "corrosion_replication_receive_queue")}, gossip mailbox {Figure(figures[furthest], "corrosion_mailbox gossip")}, apply queue {Figure(figures[furthest], "corrosion_replication_apply_queue")}, storage mailbox {Figure(figures[furthest], "corrosion_mailbox storage")}; send queues {string.Join("/", figures.Select(f => Figure(f, "corrosion_replication_send_queue")))}; sync changesets {string.Join("/", figures.Select(f => Figure(f, "corrosion_replication_sync_changesets")))}; peer lag {string.Join("/", figures.Select(f => Figure(f, "corrosion_replication_peer_lag")))} changes, writes delayed {string.Join("/", figures.Select(f => Figure(f, "corrosion_replication_write_admission_delayed")))})"));
            }
        }

        await Task.WhenAll(writers);
        var stopped = Stopwatch.GetTimestamp();
        var atStop = await Task.WhenAll(clients.Select(MetricsAsync));
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
        Console.WriteLine("- where the furthest node's backlog waited, once a second: rows behind (its receive queue and gossip mailbox in frames, apply queue in changesets, storage mailbox in messages; every node's send queue in frames; sync changesets received so far; every node's peer lag: changes of its own the furthest reporting peer has not applied, and its writes delayed by back-pressure so far):");
        foreach (var stage in stages)
        {
            Console.WriteLine("  - " + stage);
        }

        var atEnd = await Task.WhenAll(clients.Select(MetricsAsync));
        Console.WriteLine("- where the backlog was when the writers stopped, per node (apply queue = changesets received, not merged; send queue = frames; gaps = versions known, not applied):");
        for (var i = 0; i < size; i++)
        {
            Console.WriteLine(FormattableString.Invariant($"  - node {i}: at stop {atStop[i]}; at the end {atEnd[i]}"));
        }

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

    /// <summary>The replication figures of one node's /metrics that say where a backlog waits, summed over labels.</summary>
    private static async Task<string> MetricsAsync(HttpClient client) =>
        await FiguresAsync(client) is { } sums
            ? string.Join(", ", sums.Select(kv => FormattableString.Invariant($"{kv.Key["corrosion_".Length..]} {kv.Value:G6}")))
            : "no metrics";

    private static string Figure(Dictionary<string, double>? figures, string name) =>
        (figures?.GetValueOrDefault(name) ?? 0).ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>One node's figures from /metrics (see <see cref="MetricsAsync"/>); null when it did not answer.</summary>
    private static async Task<Dictionary<string, double>?> FiguresAsync(HttpClient client)
    {
        string[] wanted =
        [
            "corrosion_replication_apply_queue", "corrosion_replication_send_queue", "corrosion_replication_receive_queue", "corrosion_storage_gaps",
            "corrosion_replication_broadcasts_dropped", "corrosion_transport_send_queue_drops", "corrosion_replication_sync_changesets",
            "corrosion_storage_merges", "corrosion_storage_merge_duration_seconds_sum", "corrosion_storage_merge_duration_seconds_count",
            "corrosion_replication_broadcasts_received", "corrosion_actors_messages_dropped", "corrosion_actors_dead_letters", "corrosion_replication_broadcasts_pending",
            "corrosion_replication_peer_lag", "corrosion_replication_write_admission_delayed", "corrosion_replication_write_admission_wait_seconds",
            "corrosion_replication_write_admission_timed_out",
        ];
        try
        {
            var text = await client.GetStringAsync(new Uri("metrics", UriKind.Relative));
            var sums = new Dictionary<string, double>();
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith('#') || line.Length == 0)
                {
                    continue;
                }

                var name = line[..line.IndexOfAny(['{', ' '])];
                if (name == "corrosion_actors_mailbox_depth" && line.IndexOf("actor_path=\"", StringComparison.Ordinal) is var at and >= 0)
                {
                    // By mailbox owner: where messages wait.
                    var path = line[(at + 12)..line.IndexOf('"', at + 12)];
                    name = "mailbox " + path[(path.LastIndexOf('/') + 1)..];
                    if (double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var depth) && depth > 0)
                    {
                        sums["corrosion_" + name] = depth;
                    }

                    continue;
                }

                var metric = wanted.FirstOrDefault(w => name == w || name == w + "_total");
                if (metric is not null && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    sums[metric] = sums.GetValueOrDefault(metric) + value;
                }
            }

            return sums;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static Task<long> CountAsync(HttpClient client) => CountAsync(client, "1");

    /// <summary>The node's <c>count(*)</c> of <c>kv</c> rows matching <paramref name="where"/>, over its HTTP API.</summary>
    internal static async Task<long> CountAsync(HttpClient client, string where)
    {
        using var content = new StringContent(JsonSerializer.Serialize($"SELECT count(*) FROM kv WHERE {where}"), Encoding.UTF8, "application/json");
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
