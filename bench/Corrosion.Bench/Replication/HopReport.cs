using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>
/// Explains the propagation tail from the hops the nodes reported: for every write and every other
/// node, which path delivered it (direct broadcast from the writer, a relay, a retransmission, or
/// sync) and how long each hop took — writer commit → GossipActor → written to the socket → read
/// from the socket → receiver's GossipActor → merge starts → visible.
/// </summary>
internal static class HopReport
{
    private static readonly string[] Segments = ["commit→gossip", "gossip→sent", "sent→read", "read→gossip", "gossip→merge", "merge→visible"];

    public static void Print(ProcessCluster cluster, IReadOnlyList<(ActorId Origin, long Version, long CommittedAt)> writes, double slowMs)
    {
        var size = cluster.Ids.Count;
        var index = new Dictionary<ActorId, int>();
        for (var i = 0; i < size; i++)
        {
            index[cluster.Ids[i]] = i;
        }

        // Per node: (actor, version) → hops, in the order they were reported.
        var byNode = cluster.Hops.Select(q => q.ToArray().GroupBy(h => (h.Actor, h.Version)).ToDictionary(g => g.Key, g => g.ToList())).ToList();
        var paths = new Dictionary<string, int>();
        var slowPaths = new Dictionary<string, int>();
        var slowSegments = Segments.ToDictionary(s => s, _ => new List<double>());
        var dominant = new Dictionary<string, int>();
        var examples = new List<string>();
        var slowWrites = 0;
        var bySecond = new SortedDictionary<int, int>();
        var begin = writes.Count > 0 ? writes.Min(w => w.CommittedAt) : 0;
        foreach (var (origin, version, committedAt) in writes)
        {
            var o = index[origin];
            if (cluster.Visible[o].GetValueOrDefault((origin, version)) is not (> 0 and var commit))
            {
                continue;
            }

            (int Node, double Ms, string Path, double?[] Seg)? slowest = null;
            for (var d = 0; d < size; d++)
            {
                if (d == o || cluster.Visible[d].GetValueOrDefault((origin, version)) is not (> 0 and var visible))
                {
                    continue;
                }

                var atOrigin = byNode[o].GetValueOrDefault((origin, version)) ?? [];
                var atDest = byNode[d].GetValueOrDefault((origin, version)) ?? [];
                long? First(List<HopEvent> hops, string hop, string? peer = null) =>
                    hops.FirstOrDefault(h => h.Hop == hop && (peer is null || h.Peer == peer))?.At;
                var local = First(atOrigin, "gossip.local");
                var sent = First(atOrigin, "wire.sent", cluster.GossipAddresses[d]);
                var retransmit = First(atOrigin, "gossip.retransmit", cluster.GossipAddresses[d]);
                var read = First(atDest, "wire.recv");
                var received = atDest.FirstOrDefault(h => h.Hop == "gossip.recv");
                var synced = First(atDest, "sync.recv");
                var merge = First(atDest, "store.merge");
                var path = synced is { } s && (received is null || s < received.At) ? "sync"
                    : received is null ? "unknown"
                    : received.Peer != cluster.GossipAddresses[o] ? "relay"
                    : retransmit is { } r && (sent is null || sent >= r) ? "retransmit"
                    : "direct";
                paths[path] = paths.GetValueOrDefault(path) + 1;
                double? Ms(long? from, long? to) => from is { } f && to is { } t ? Stopwatch.GetElapsedTime(f, t).TotalMilliseconds : null;
                double?[] seg = [Ms(commit, local), Ms(local, sent), Ms(sent, read), Ms(read, received?.At), Ms(received?.At ?? synced, merge), Ms(merge, visible)];
                var ms = Ms(commit, visible) ?? 0;
                if (slowest is null || ms > slowest.Value.Ms)
                {
                    slowest = (d, ms, path, seg);
                }
            }

            if (slowest is not { } w || w.Ms < slowMs)
            {
                continue;
            }

            slowWrites++;
            var second = (int)Stopwatch.GetElapsedTime(begin, committedAt).TotalSeconds;
            bySecond[second] = bySecond.GetValueOrDefault(second) + 1;
            slowPaths[w.Path] = slowPaths.GetValueOrDefault(w.Path) + 1;
            var worst = -1;
            for (var i = 0; i < Segments.Length; i++)
            {
                if (w.Seg[i] is { } v)
                {
                    slowSegments[Segments[i]].Add(v);
                    if (worst < 0 || v > w.Seg[worst]!.Value)
                    {
                        worst = i;
                    }
                }
            }

            if (worst >= 0)
            {
                dominant[Segments[worst]] = dominant.GetValueOrDefault(Segments[worst]) + 1;
            }

            {
                examples.Add(FormattableString.Invariant($"    node {o} v{version} → node {w.Node}: {w.Ms:F1} ms by {w.Path}: ") +
                    string.Join(", ", Segments.Select((s, i) => w.Seg[i] is { } v ? string.Create(CultureInfo.InvariantCulture, $"{s} {v:F1}") : $"{s} -")));
            }
        }

        Console.WriteLine(FormattableString.Invariant($"  - paths (write × other node): {Format(paths)}"));
        Console.WriteLine(FormattableString.Invariant($"  - writes slower than {slowMs} ms from the writer's commit to the last node: {slowWrites}; their slowest node got it by {Format(slowPaths)}"));
        if (slowWrites > 0)
        {
            Console.WriteLine("  - hop times of those (median / max ms): " + string.Join(", ", Segments.Where(s => slowSegments[s].Count > 0).Select(s =>
            {
                var v = slowSegments[s].Order().ToList();
                return string.Create(CultureInfo.InvariantCulture, $"{s} {Percentiles.Of(v, 50):F1} / {v[^1]:F1}");
            })));
            Console.WriteLine($"  - longest hop of each: {Format(dominant)}");
            Console.WriteLine("  - slow writes by second of the run: " + string.Join(", ", bySecond.Select(b => $"{b.Key}s: {b.Value}")));
            var step = Math.Max(1, examples.Count / 16);
            foreach (var line in examples.Where((_, i) => i % step == 0).Take(16))
            {
                Console.WriteLine(line);
            }
        }
    }

    private static string Format(Dictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"));
}
