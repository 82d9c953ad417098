using System.Diagnostics;
using System.Globalization;

namespace Corrosion.Bench.Replication;

/// <summary>
/// `throughput` suite: a 3-node in-process cluster; concurrent clients write single rows as fast as
/// accepted; rows/s accepted, and rows/s replicated to every node (until the last one arrives).
/// Arguments: [seconds = 15] [clients = 16] [nodes = 3].
/// </summary>
internal static class ThroughputSuite
{
    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        var size = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        RunAsync(seconds, clients, size).GetAwaiter().GetResult();
        return 0;
    }

    private static async Task RunAsync(int seconds, int clients, int size)
    {
        await using var cluster = await BenchCluster.StartAsync(size);
        var writes = new List<(Corrosion.Agent.Storage.ActorId Origin, long Version, long CommittedAt)>();
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (seconds * Stopwatch.Frequency);
        var failed = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = new List<(Corrosion.Agent.Storage.ActorId, long, long)>();
            var node = c % size;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                try
                {
                    mine.Add(await cluster.WriteAsync(node));
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            lock (writes)
            {
                writes.AddRange(mine);
            }
        })));
        var writing = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var drain = Stopwatch.StartNew();
        while (drain.Elapsed < TimeSpan.FromSeconds(60) && writes.Any(w => cluster.VisibleEverywhereAt(w.Origin, w.Version) is null))
        {
            await Task.Delay(100);
        }

        long last = started;
        var replicated = 0;
        foreach (var w in writes)
        {
            if (cluster.VisibleEverywhereAt(w.Origin, w.Version) is { } at)
            {
                replicated++;
                last = Math.Max(last, at);
            }
        }

        var untilLast = Stopwatch.GetElapsedTime(started, last).TotalSeconds;
        Console.WriteLine($"## throughput: {size} in-process nodes, {clients} concurrent HTTP clients spread over the nodes, {seconds} s");
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"- accepted: {writes.Count} rows in {writing:F1} s = {writes.Count / writing:N0} rows/s ({failed} failed requests)"));
        Console.WriteLine(FormattableString.Invariant($"- replicated to all {size} nodes: {replicated} rows, last one {untilLast:F1} s after start = {replicated / untilLast:N0} rows/s; drain after writers stopped {Math.Max(0, untilLast - writing):F1} s; missing after 60 s drain: {writes.Count - replicated}"));
        Console.WriteLine();
    }
}
