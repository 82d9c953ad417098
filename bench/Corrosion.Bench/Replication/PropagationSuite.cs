using System.Diagnostics;
using System.Globalization;

namespace Corrosion.Bench.Replication;

/// <summary>
/// `propagation` suite: in-process clusters of whole nodes; a steady stream of single-row writes to
/// random nodes; latency from the origin's HTTP response to the version being applied on every node.
/// Arguments: [rate per second = 50] [seconds = 20] [sizes = 3,10] [broadcast fanout] [retransmit interval ms].
/// `propagation-processes` runs each node in its own process instead (default broadcast settings).
/// </summary>
internal static class PropagationSuite
{
    public static int Run(string[] args)
    {
        var rate = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var sizes = args.Length > 2 ? args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [3, 10];
        var fanout = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Agent.Replication.Broadcast.BroadcastOptions.DefaultFanout;
        var retransmit = args.Length > 4
            ? TimeSpan.FromMilliseconds(int.Parse(args[4], CultureInfo.InvariantCulture))
            : Agent.Replication.Broadcast.BroadcastOptions.DefaultRetransmitInterval;
        void Configure(Agent.Node.NodeOptions o) => o.Broadcast = new Agent.Replication.Broadcast.BroadcastOptions { Fanout = fanout, RetransmitInterval = retransmit };
        Console.WriteLine($"## propagation: {rate} single-row writes/s to random nodes for {seconds} s, in-process nodes over loopback, broadcast fanout {fanout}, retransmit every {retransmit.TotalMilliseconds} ms");
        Console.WriteLine();
        foreach (var size in sizes)
        {
            RunOneAsync(size, rate, seconds, Configure).GetAwaiter().GetResult();
        }

        Console.WriteLine();
        return 0;
    }

    /// <summary>
    /// As <see cref="Run"/> with one process per node. Arguments: [rate = 50] [seconds = 20] [sizes = 3] [--trace] [--warmup S] [--cli PATH]:
    /// with --trace every node reports each replication hop, and the suite says which path and which hop the slow writes took;
    /// --warmup S writes at the same rate for S seconds first and does not count those writes (a node that has run a while);
    /// --cli PATH runs the nodes as real <c>corrosion agent</c> processes (<c>corrosion.dll</c>, or the NativeAOT executable)
    /// instead of this bench's own <c>replica-node</c> children: a row is visible on a node when that node's
    /// <c>/v1/updates/kv</c> stream names it, and the suite also reports broadcast frames sent per change (from <c>/metrics</c>).
    /// </summary>
    public static int RunProcesses(string[] args)
    {
        var trace = args.Contains("--trace");
        var warmup = 0;
        string? cli = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--warmup" && i + 1 < args.Length)
            {
                warmup = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--cli" && i + 1 < args.Length)
            {
                cli = Path.GetFullPath(args[++i]);
            }
            else if (args[i] != "--trace")
            {
                rest.Add(args[i]);
            }
        }

        args = [.. rest];
        var rate = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
        var sizes = args.Length > 2 ? args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [3];
        if (cli is not null && !File.Exists(cli))
        {
            Console.Error.WriteLine($"propagation-processes: {cli} does not exist; build it first (dotnet build -c Release src/Corrosion.Cli, or the NativeAOT publish)");
            return 2;
        }

        if (cli is not null && trace)
        {
            Console.Error.WriteLine("propagation-processes: --trace needs the bench's own nodes (the hop hook is in-process); leave out --cli");
            return 2;
        }

        var nodes = cli is null ? "one process per node (this bench's replica-node)" : $"one `corrosion agent` process per node ({Path.GetFileName(cli)}), visible = the node's /v1/updates/kv stream names the row";
        Console.WriteLine($"## propagation-processes: {rate} single-row writes/s to random nodes for {seconds} s, {nodes}, over loopback" + (warmup > 0 ? $", after {warmup} s of the same writes not counted" : ", counted from the first write after the members converged"));
        Console.WriteLine();
        foreach (var size in sizes)
        {
            IBenchCluster cluster = cli is null
                ? ProcessCluster.StartAsync(size, trace).GetAwaiter().GetResult()
                : StartAgentsAsync(cli, size).GetAwaiter().GetResult();
            MeasureAsync(cluster, size, rate, seconds, trace, warmup).GetAwaiter().GetResult();
        }

        Console.WriteLine();
        return 0;
    }

    private static async Task<AgentCluster> StartAgentsAsync(string cli, int size)
    {
        var cluster = await AgentCluster.StartAsync(cli, size);
        await cluster.WatchUpdatesAsync();
        return cluster;
    }

    private static async Task RunOneAsync(int size, int rate, int seconds, Action<Agent.Node.NodeOptions> configure) =>
        await MeasureAsync(await BenchCluster.StartAsync(size, configure), size, rate, seconds);

    private static async Task MeasureAsync(IBenchCluster started, int size, int rate, int seconds, bool trace = false, int warmup = 0)
    {
        try
        {
            if (warmup > 0)
            {
                await WriteAtRateAsync(started, size, rate, warmup, new Random(3));
            }

            var frames = started is AgentCluster agents ? await agents.SumMetricAsync(BroadcastFramesMetric) : 0;
            var cpu = started is AgentCluster before ? before.Agents.Select(a => CpuSeconds(a.Process.Id)).ToList() : [];
            var clock = Stopwatch.StartNew();
            var writes = await MeasureCoreAsync(started, size, rate, seconds, trace);
            if (started is AgentCluster after)
            {
                // Every frame the nodes sent while measuring (writes and the drain), over the writes made.
                var sent = await after.SumMetricAsync(BroadcastFramesMetric) - frames;
                var used = after.Agents.Select((a, i) => (CpuSeconds(a.Process.Id) - cpu[i]) / clock.Elapsed.TotalSeconds * 100).ToList();
                Console.WriteLine(FormattableString.Invariant($"  - broadcast frames sent per change: {sent / writes:F1} ({sent:F0} frames for {writes} changes; a writer's direct sends, relays and retransmissions)"));
                Console.WriteLine(FormattableString.Invariant($"  - agents' CPU while measuring: {string.Join(" / ", used.Select(c => c.ToString("F0", CultureInfo.InvariantCulture)))} % of a core"));
            }
        }
        finally
        {
            await started.DisposeAsync();
        }

        if (started is ProcessCluster processes)
        {
            // Each node's runtime: collections, total GC pause and JIT time over the whole run, start-up included.
            for (var i = 0; i < size; i++)
            {
                var report = processes.ExitReports[i];
                Console.WriteLine($"  - node {i}: {(report.IsCompletedSuccessfully ? report.Result : "no GC report")}");
            }
        }
    }

    /// <summary>Broadcast frames handed to the transport, first sends and re-broadcasts (Prometheus name of <c>corrosion.replication.broadcasts.sent</c>).</summary>
    private const string BroadcastFramesMetric = "corrosion_replication_broadcasts_sent";

    /// <summary>User + system CPU time of a process so far (/proc/pid/stat, USER_HZ = 100).</summary>
    internal static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Writes for the given time, waits for them on every node (30 s at most), prints the latencies; returns the writes made.</summary>
    private static async Task<int> MeasureCoreAsync(IBenchCluster cluster, int size, int rate, int seconds, bool trace)
    {
        var done = await WriteAtRateAsync(cluster, size, rate, seconds, new Random(7));
        var drainDeadline = Stopwatch.StartNew();
        while (drainDeadline.Elapsed < TimeSpan.FromSeconds(30) && done.Any(w => cluster.VisibleEverywhereAt(w.Origin, w.Version) is null))
        {
            await Task.Delay(50);
        }

        var latencies = new List<double>(done.Length);
        var missing = 0;
        foreach (var w in done)
        {
            if (cluster.VisibleEverywhereAt(w.Origin, w.Version) is { } at)
            {
                latencies.Add(Math.Max(0, Stopwatch.GetElapsedTime(w.CommittedAt, at).TotalMilliseconds));
            }
            else
            {
                missing++;
            }
        }

        Console.WriteLine(FormattableString.Invariant($"- N = {size}: commit to visible on all nodes: {Percentiles.Summary(latencies)}; missing after 30 s drain: {missing}"));
        if (trace && cluster is ProcessCluster processes)
        {
            HopReport.Print(processes, done, slowMs: 10);
        }

        if (cluster is AgentCluster agents)
        {
            agents.PrintSlowWrites(done, slowMs: 10);
        }

        return done.Length;
    }

    /// <summary>Open loop: single-row writes to random nodes at <paramref name="rate"/> per second for <paramref name="seconds"/>.</summary>
    private static async Task<(Corrosion.Agent.Storage.ActorId Origin, long Version, long CommittedAt)[]> WriteAtRateAsync(IBenchCluster cluster, int size, int rate, int seconds, Random random)
    {
        var writes = new List<Task<(Corrosion.Agent.Storage.ActorId Origin, long Version, long CommittedAt)>>();
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var begin = Stopwatch.GetTimestamp();
        var total = rate * seconds;
        for (var i = 0; i < total; i++)
        {
            // Open loop: each write starts on schedule whether or not earlier ones finished.
            var due = begin + (long)(i * interval.TotalSeconds * Stopwatch.Frequency);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            var node = random.Next(size);
            writes.Add(Task.Run(() => cluster.WriteAsync(node)));
        }

        return await Task.WhenAll(writes);
    }
}
