using System.Globalization;
using System.Text;

namespace Corrosion.Chaos.Repair;

/// <summary>What a repair measurement found: every run, and p50 / p99 / max of the repair times.</summary>
public sealed class RepairReport
{
    public required RepairOptions Options { get; init; }

    public List<RepairRun> Runs { get; } = [];

    public string? Error { get; set; }

    public string LoadBefore { get; set; } = "unknown";

    public string LoadAfter { get; set; } = "unknown";

    public TimeSpan Elapsed { get; set; }

    /// <summary>Every run measured and repaired in time, and no error.</summary>
    public bool Passed => Error is null && Runs.Count == Options.Runs && Runs.All(r => r.RepairedAfter is not null);

    /// <summary>The q-quantile (nearest rank) of the repair times; a run not repaired counts as the deadline.</summary>
    public TimeSpan? Quantile(double q)
    {
        if (Runs.Count == 0)
        {
            return null;
        }

        var sorted = Runs.Select(r => r.RepairedAfter ?? Options.RepairDeadline).Order().ToList();
        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"repair: {Options.Nodes} nodes, {Runs.Count} of {Options.Runs} partitions of {Options.PartitionMin.TotalSeconds:F0}..{Options.PartitionMax.TotalSeconds:F0} s, seed {Options.Seed}, node tuning: {(Options.Tuning.Trim().Length == 0 ? "agent defaults" : Options.Tuning.Trim().ReplaceLineEndings("; "))}");
        foreach (var run in Runs)
        {
            s.AppendLine("  " + run);
        }

        s.AppendLine(CultureInfo.InvariantCulture, $"repair after heal: p50 {Seconds(Quantile(0.5))}, p99 {Seconds(Quantile(0.99))}, max {Seconds(Quantile(1.0))} ({Runs.Count(r => r.RepairedAfter is null)} not repaired within {Options.RepairDeadline.TotalSeconds:F0} s)");
        s.AppendLine(CultureInfo.InvariantCulture, $"load before {LoadBefore}, after {LoadAfter}; elapsed {Elapsed.TotalSeconds:F0} s");
        if (Error is not null)
        {
            s.AppendLine("error: " + Error);
        }

        s.Append(Passed ? "RESULT: measured" : "RESULT: FAILED");
        return s.ToString();
    }

    private static string Seconds(TimeSpan? value) => value is { } v ? v.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "-";
}
