using System.Globalization;

namespace Corrosion.Chaos.Repair;

/// <summary>One measured partition: how long it lasted, how the nodes were split, and how long after the heal every node held every version.</summary>
/// <param name="Number">1-based.</param>
/// <param name="Partition">How long the sides were cut off.</param>
/// <param name="Sides">The split, for example <c>0,3 | 1,2,4</c>.</param>
/// <param name="Versions">Versions written during the partition (all nodes).</param>
/// <param name="RepairedAfter">From the start of the heal to the end of the first poll that found every version on every node; null if not within the deadline.</param>
/// <param name="HealTook">How long removing the partition's rules from every node took (part of <paramref name="RepairedAfter"/>).</param>
public sealed record RepairRun(int Number, TimeSpan Partition, string Sides, int Versions, TimeSpan? RepairedAfter, TimeSpan HealTook)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"run {Number}: partition {Partition.TotalSeconds:F1} s ({Sides}), {Versions} versions, repaired {(RepairedAfter is { } r ? $"{r.TotalSeconds:F2} s" : "NOT")} after the heal (whose rules took {HealTook.TotalSeconds:F2} s)");
}
