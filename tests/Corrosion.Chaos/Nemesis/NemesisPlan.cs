using System.Globalization;

namespace Corrosion.Chaos.Nemesis;

/// <summary>The faults the nemesis knows.</summary>
public enum FaultKind
{
    /// <summary>Two sides (2 | 3 nodes) that cannot reach each other.</summary>
    PartitionHalves,

    /// <summary>One node cut off from all others.</summary>
    IsolateOne,

    /// <summary>Two sides that cannot reach each other, and one node that reaches both (Jepsen's bridge).</summary>
    Bridge,

    /// <summary>SIGKILL one or two nodes; restarted on the same database when the step ends.</summary>
    KillRestart,

    /// <summary>SIGSTOP one or two nodes; SIGCONT when the step ends.</summary>
    Pause,

    /// <summary>Loss raised to <see cref="NemesisPlan.HeavyLossPercent"/> on every link.</summary>
    HeavyLoss,

    /// <summary>One node isolated while another is killed.</summary>
    IsolateAndKill,
}

/// <summary>One fault: what, on which nodes, how long, and how long the calm after it lasts.</summary>
/// <param name="Number">Position in the plan, from 1.</param>
/// <param name="Kind">The fault.</param>
/// <param name="Groups">For partitions: the groups of nodes that can reach each other (a bridge node is in two); else empty.</param>
/// <param name="Victims">Nodes killed or paused.</param>
/// <param name="Duration">How long the fault lasts.</param>
/// <param name="Calm">Pause after the heal before the next fault (the baseline loss stays).</param>
public sealed record FaultStep(int Number, FaultKind Kind, IReadOnlyList<IReadOnlyList<int>> Groups, IReadOnlyList<int> Victims, TimeSpan Duration, TimeSpan Calm)
{
    public override string ToString()
    {
        var what = Kind switch
        {
            FaultKind.PartitionHalves or FaultKind.IsolateOne or FaultKind.Bridge => $"{Kind} {string.Join(" | ", Groups.Select(g => "{" + string.Join(",", g) + "}"))}",
            FaultKind.KillRestart => $"{Kind} kill {{{string.Join(",", Victims)}}}",
            FaultKind.Pause => $"{Kind} stop {{{string.Join(",", Victims)}}}",
            FaultKind.IsolateAndKill => $"{Kind} isolate {Groups[0][0]}, kill {{{string.Join(",", Victims)}}}",
            _ => Kind.ToString(),
        };
        return string.Create(CultureInfo.InvariantCulture, $"#{Number} {what} for {Duration.TotalSeconds:F1} s, calm {Calm.TotalSeconds:F1} s");
    }
}

/// <summary>
/// A seeded sequence of faults. The first round runs every kind once, in a seeded order, so even a
/// short run meets all of them; later rounds draw kinds at random. The seed fixes the plan (which
/// fault, which nodes, how long), not the interleaving of real processes, so a replay with the same
/// seed meets the same faults but not the same packet-level timing.
/// </summary>
public static class NemesisPlan
{
    /// <summary>Loss on every link during <see cref="FaultKind.HeavyLoss"/>.</summary>
    public const int HeavyLossPercent = 35;

    public static IReadOnlyList<FaultStep> Generate(int seed, int nodes, int steps, TimeSpan minDuration, TimeSpan maxDuration, TimeSpan calm)
    {
        if (nodes < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "the nemesis needs at least 3 nodes (a bridge needs two sides and a middle)");
        }

        var random = new Random(seed);
        var kinds = Enum.GetValues<FaultKind>();
        var firstRound = kinds.OrderBy(_ => random.Next()).ToList();
        var plan = new List<FaultStep>();
        for (var i = 0; i < steps; i++)
        {
            var kind = i < firstRound.Count ? firstRound[i] : kinds[random.Next(kinds.Length)];
            var duration = minDuration + TimeSpan.FromMilliseconds(random.NextDouble() * (maxDuration - minDuration).TotalMilliseconds);
            var shuffled = Enumerable.Range(0, nodes).OrderBy(_ => random.Next()).ToList();
            IReadOnlyList<IReadOnlyList<int>> groups = [];
            IReadOnlyList<int> victims = [];
            switch (kind)
            {
                case FaultKind.PartitionHalves:
                    var half = nodes / 2;
                    groups = [Sorted(shuffled.Take(half)), Sorted(shuffled.Skip(half))];
                    break;
                case FaultKind.IsolateOne:
                    groups = [[shuffled[0]], Sorted(shuffled.Skip(1))];
                    break;
                case FaultKind.Bridge:
                    // shuffled[0] is the bridge: in both groups.
                    var rest = shuffled.Skip(1).ToList();
                    var side = rest.Count / 2;
                    groups = [Sorted(rest.Take(side).Append(shuffled[0])), Sorted(rest.Skip(side).Append(shuffled[0]))];
                    break;
                case FaultKind.KillRestart:
                case FaultKind.Pause:
                    victims = Sorted(shuffled.Take(1 + random.Next(2)));
                    break;
                case FaultKind.IsolateAndKill:
                    groups = [[shuffled[0]], Sorted(shuffled.Skip(1))];
                    victims = [shuffled[1]];
                    break;
                case FaultKind.HeavyLoss:
                    break;
            }

            plan.Add(new FaultStep(i + 1, kind, groups, victims, duration, calm));
        }

        return plan;
    }

    private static List<int> Sorted(IEnumerable<int> nodes) => nodes.Order().ToList();

    /// <summary>For each node, the nodes it cannot reach under <paramref name="groups"/> (empty groups: everyone reaches everyone).</summary>
    public static IReadOnlyList<IReadOnlySet<int>> Unreachable(int nodes, IReadOnlyList<IReadOnlyList<int>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var result = new List<IReadOnlySet<int>>();
        for (var a = 0; a < nodes; a++)
        {
            var blocked = new HashSet<int>();
            for (var b = 0; b < nodes; b++)
            {
                if (a != b && groups.Count > 0 && !groups.Any(g => g.Contains(a) && g.Contains(b)))
                {
                    blocked.Add(b);
                }
            }

            result.Add(blocked);
        }

        return result;
    }
}
