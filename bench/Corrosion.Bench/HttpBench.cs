using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench;

/// <summary>
/// `http` suite: POST /v1/transactions with one insert over loopback (Kestrel): sequential latency
/// and throughput with 16 concurrent clients (our own client, and `wrk` with
/// <c>bench/wrk/transactions.lua</c> when wrk is installed), first with group commit off
/// (<c>db.group_commit_max = 1</c>), then on (the default), in one run.
/// </summary>
internal static partial class HttpBench
{
    private const int Clients = 16;

    /// <param name="checkpointPages">db.checkpoint_pages; null leaves the node's (or the agent's) own default, so each build is measured as shipped.</param>
    /// <param name="cli">Null: the node runs in this process. Else a <c>corrosion</c> CLI (a native executable or <c>corrosion.dll</c>) whose agent is measured as its own process.</param>
    public static async Task RunAsync(TextWriter output, int requests, int wrkSeconds = 10, int? checkpointPages = null, bool groupCommitOnly = false, string? cli = null)
    {
        output.WriteLine($"## http: POST /v1/transactions, one insert, loopback (db.checkpoint_pages = {(checkpointPages is { } pages ? pages.ToString(System.Globalization.CultureInfo.InvariantCulture) : "the node's default")}){(cli is null ? string.Empty : $"; agent process {cli}")}");
        output.WriteLine();
        // A first node warms the JIT (tiered compilation) on both paths, so the order of the two
        // measured configurations does not favour the second one; its figures are not printed.
        if (!groupCommitOnly)
        {
            await RunOneAsync(TextWriter.Null, Math.Min(requests, 1_000), wrkSeconds: 0, groupCommitMax: 1, checkpointPages, cli);
        }

        await RunOneAsync(TextWriter.Null, Math.Min(requests, 1_000), wrkSeconds: 0, Corrosion.Agent.Storage.StorageActor.DefaultGroupCommitMax, checkpointPages, cli);
        foreach (var groupCommitMax in groupCommitOnly ? [Corrosion.Agent.Storage.StorageActor.DefaultGroupCommitMax] : new[] { 1, Corrosion.Agent.Storage.StorageActor.DefaultGroupCommitMax })
        {
            await RunOneAsync(output, requests, wrkSeconds, groupCommitMax, checkpointPages, cli);
        }

        output.WriteLine();
    }

    private static async Task RunOneAsync(TextWriter output, int requests, int wrkSeconds, int groupCommitMax, int? checkpointPages, string? cli)
    {
        using var dir = new BenchDirectory();
        CorrosionNode? node = null;
        Replication.AgentProcess? agent = null;
        Uri address;
        if (cli is null)
        {
            var options = new NodeOptions();
            options.Db.Path = dir.File("http.db");
            options.Db.GroupCommitMax = groupCommitMax;
            options.Db.CheckpointPages = checkpointPages ?? options.Db.CheckpointPages;
            options.Api.Addr = "127.0.0.1:0";
            node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
            address = node.ApiAddress;
        }
        else
        {
            // The agent as shipped (its own runtime settings), on the demo schema as the in-process node.
            var config = dir.File("http.conf");
            await File.WriteAllTextAsync(config, FormattableString.Invariant($"""
                db.path = "{dir.File("http.db")}"
                db.group_commit_max = {groupCommitMax}
                {(checkpointPages is { } pages ? $"db.checkpoint_pages = {pages}" : string.Empty)}
                api.addr = "127.0.0.1:0"
                gossip.addr = "127.0.0.1:{Replication.AgentProcess.FreePort()}"
                gossip.plaintext = true
                """));
            agent = Replication.AgentProcess.Start(cli, config, dir.Path);
            address = await agent.Listening.WaitAsync(TimeSpan.FromSeconds(120));
        }

        try
        {
            await MeasureAsync(output, requests, wrkSeconds, groupCommitMax, address, agent);
        }
        finally
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }

            if (agent is not null)
            {
                await agent.DisposeAsync();
            }
        }
    }

    private static async Task MeasureAsync(TextWriter output, int requests, int wrkSeconds, int groupCommitMax, Uri address, Replication.AgentProcess? agent)
    {
        using var http = new HttpClient { BaseAddress = address };
        var label = groupCommitMax == 1 ? "group commit off (db.group_commit_max = 1)" : $"group commit on (db.group_commit_max = {groupCommitMax})";

        var id = 0;
        Task<double> PostOne() => TimedInsertAsync(http, $"m-{Interlocked.Increment(ref id)}");

        for (var i = 0; i < 500; i++)
        {
            await PostOne();
        }

        var latencies = new List<double>(requests);
        for (var i = 0; i < requests; i++)
        {
            latencies.Add(await PostOne());
        }

        output.WriteLine($"- {label}, sequential, one client: {Percentiles.Summary(latencies)}");

        var total = 0;
        var watch = Stopwatch.StartNew();
        var concurrent = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            var mine = new List<double>();
            for (var i = 0; i < requests / 4; i++)
            {
                mine.Add(await PostOne());
            }

            lock (concurrent)
            {
                concurrent.AddRange(mine);
                total += mine.Count;
            }
        }));
        var seconds = watch.Elapsed.TotalSeconds;
        output.WriteLine(FormattableString.Invariant($"- {label}, {Clients} concurrent clients (ours): {total / seconds:N0} transactions/s; {Percentiles.Summary(concurrent)}"));
        if (wrkSeconds > 0)
        {
            if (agent is null)
            {
                using var costs = new ServerCosts();
                var result = await WrkAsync(address, wrkSeconds);
                output.WriteLine($"- {label}, {Clients} connections, wrk -t2 -c{Clients} -d{wrkSeconds}s -s bench/wrk/transactions.lua: {result.Summary}");
                if (result.Requests > 0)
                {
                    output.WriteLine($"  - {costs.Describe(result.Requests)}");
                }
            }
            else
            {
                var costs = await AgentCosts.StartAsync(agent.Process, http);
                var result = await WrkAsync(address, wrkSeconds);
                output.WriteLine($"- {label}, {Clients} connections, wrk -t2 -c{Clients} -d{wrkSeconds}s -s bench/wrk/transactions.lua: {result.Summary}");
                if (result.Requests > 0)
                {
                    output.WriteLine($"  - {await costs.DescribeAsync(result.Requests)}");
                }
            }
        }

        output.Flush();
    }

    /// <summary>Runs Debian's <c>wrk</c> against the node with the unique-key script; a note when it is not installed.</summary>
    private static async Task<(string Summary, long Requests)> WrkAsync(Uri address, int seconds)
    {
        var script = FindScript();
        if (script is null)
        {
            return ("skipped: bench/wrk/transactions.lua not found (run from the repository)", 0);
        }

        var start = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-t2", $"-c{Clients}", $"-d{seconds}s", "--latency", "-s", script, address.ToString().TrimEnd('/'), "--", $"run{Environment.TickCount64}" })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            var rate = RequestsPerSecond().Match(text);
            if (process.ExitCode != 0 || !rate.Success)
            {
                return ($"wrk failed (exit {process.ExitCode}): {text.Trim()} {(await process.StandardError.ReadToEndAsync()).Trim()}", 0);
            }

            var errors = NonSuccess().Match(text);
            var p50 = Percentile("50%").Match(text);
            var p99 = Percentile("99%").Match(text);
            var tps = double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture);
            var total = RequestCount().Match(text);
            return (FormattableString.Invariant($"{tps:N0} transactions/s (p50 {(p50.Success ? p50.Groups[1].Value : "?")}, p99 {(p99.Success ? p99.Groups[1].Value : "?")}); non-2xx responses: {(errors.Success ? errors.Groups[1].Value : "0")}"),
                total.Success ? long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return ("skipped: wrk is not installed (Debian: apt-get install wrk)", 0);
        }
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "wrk", "transactions.lua");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static Regex Percentile(string which) => new($@"^\s*{Regex.Escape(which)}\s+(\S+)", RegexOptions.Multiline);

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in ")]
    private static partial Regex RequestCount();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    /// <summary>One single-row <c>INSERT</c> into <c>machines</c> over <c>POST /v1/transactions</c>; its round trip in ms.</summary>
    internal static async Task<double> TimedInsertAsync(HttpClient http, string machineId)
    {
        using var content = new StringContent($$"""[["INSERT INTO machines (id, region) VALUES (?, ?)", ["{{machineId}}", "ams"]]]""", Encoding.UTF8, "application/json");
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
