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
    /// As <see cref="Run"/> with one process per node. Arguments: [rate = 50] [seconds = 20] [sizes = 3] [--trace] [--warmup S]:
    /// with --trace every node reports each replication hop, and the suite says which path and which hop the slow writes took;
    /// --warmup S writes at the same rate for S seconds first and does not count those writes (a node that has run a while).
    /// </summary>
    public static int RunProcesses(string[] args)
    {
        var trace = args.Contains("--trace");
        var warmup = 0;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--warmup" && i + 1 < args.Length)
            {
                warmup = int.Parse(args[++i], CultureInfo.InvariantCulture);
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
        Console.WriteLine($"## propagation-processes: {rate} single-row writes/s to random nodes for {seconds} s, one process per node over loopback" + (warmup > 0 ? $", after {warmup} s of the same writes not counted" : ", counted from the first write after the members converged"));
        Console.WriteLine();
        foreach (var size in sizes)
        {
            MeasureAsync(ProcessCluster.StartAsync(size, trace).GetAwaiter().GetResult(), size, rate, seconds, trace, warmup).GetAwaiter().GetResult();
        }

        Console.WriteLine();
        return 0;
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

            await MeasureCoreAsync(started, size, rate, seconds, trace);
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

    private static async Task MeasureCoreAsync(IBenchCluster cluster, int size, int rate, int seconds, bool trace)
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
