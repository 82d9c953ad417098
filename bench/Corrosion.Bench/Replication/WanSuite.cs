using System.Diagnostics;
using System.Globalization;
using Corrosion.Simulation.Replication;

namespace Corrosion.Bench.Replication;

/// <summary>
/// `wan` suite: simulated broadcast + sync (real planners) on virtual time across regions with loss.
/// Arguments: [nodes = 800] [regions = 40] [changes = 50] [seed = 1] [fanout = 3] [retransmit interval ms = 200].
/// </summary>
internal static class WanSuite
{
    public static int Run(string[] args)
    {
        var scenario = new ReplicationScenario
        {
            Nodes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 800,
            Regions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40,
            Changes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50,
            Seed = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1,
            Broadcast = new Agent.Replication.Broadcast.BroadcastOptions
            {
                Fanout = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : Agent.Replication.Broadcast.BroadcastOptions.DefaultFanout,
                RetransmitInterval = args.Length > 5
                    ? TimeSpan.FromMilliseconds(int.Parse(args[5], CultureInfo.InvariantCulture))
                    : Agent.Replication.Broadcast.BroadcastOptions.DefaultRetransmitInterval,
            },
        };
        var watch = Stopwatch.StartNew();
        var report = new ReplicationSimulation(scenario).Run();
        var latencies = report.FullyReplicatedMs.Where(static ms => ms >= 0).Select(static ms => (double)ms).ToList();
        Console.WriteLine(FormattableString.Invariant(
            $"## wan: {scenario.Nodes} nodes, {scenario.Regions} regions, one-way {scenario.MinRegionLatencyMs}–{scenario.MaxRegionLatencyMs} ms between regions, loss {scenario.LossRate:P0}, {scenario.Changes} changes every {scenario.ChangeIntervalMs} ms, seed {scenario.Seed}, fanout {scenario.Broadcast.Fanout}, retransmit every {scenario.Broadcast.RetransmitInterval.TotalMilliseconds} ms"));
        Console.WriteLine();
        Console.WriteLine($"- write to held by every node (virtual time): {Percentiles.Summary(latencies)}; never complete: {report.FullyReplicatedMs.Count(static ms => ms < 0)}");
        Console.WriteLine(FormattableString.Invariant(
            $"- broadcast messages per change: {(double)report.BroadcastMessages / scenario.Changes:N0} ({(double)report.BroadcastMessages / scenario.Changes / scenario.Nodes:F1} per node)"));
        Console.WriteLine(FormattableString.Invariant(
            $"- sync messages in the run: {report.SyncMessages:N0} over {report.SimulatedMs / 1000.0:F1} s virtual ({report.SyncMessages / (report.SimulatedMs / 1000.0) / scenario.Nodes:F1} per node per second, background cost independent of writes); node-changes obtained by sync: {report.DeliveredBySync}; lost messages: {report.Lost:N0}"));
        Console.WriteLine(FormattableString.Invariant($"- wall time {watch.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine();
        return 0;
    }
}
