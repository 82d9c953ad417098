namespace Corrosion.Bench;

/// <summary>Percentiles of a sample of durations, in milliseconds.</summary>
internal static class Percentiles
{
    public static double Of(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    public static string Summary(List<double> samplesMs)
    {
        samplesMs.Sort();
        return FormattableString.Invariant($"p50 {Of(samplesMs, 50):F3} ms, p99 {Of(samplesMs, 99):F3} ms, max {samplesMs[^1]:F3} ms (n = {samplesMs.Count})");
    }
}
