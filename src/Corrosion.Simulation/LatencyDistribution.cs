namespace Corrosion.Simulation;

/// <summary>
/// One-way delay of a link: uniform between <paramref name="MinMs"/> and <paramref name="MaxMs"/>, and
/// with probability <paramref name="TailProbability"/> uniform up to <paramref name="TailMaxMs"/> instead
/// (a long tail: queues, retransmits).
/// </summary>
public sealed record LatencyDistribution(long MinMs, long MaxMs, double TailProbability = 0, long TailMaxMs = 0)
{
    /// <summary>A data-centre LAN: 0-2 ms, 1% up to 20 ms.</summary>
    public static LatencyDistribution Lan { get; } = new(0, 2, 0.01, 20);

    /// <summary>Between regions: 20-80 ms, 1% up to 400 ms.</summary>
    public static LatencyDistribution Wan { get; } = new(20, 80, 0.01, 400);

    /// <summary>No delay.</summary>
    public static LatencyDistribution Zero { get; } = new(0, 0);

    /// <summary>Always <paramref name="ms"/>.</summary>
    public static LatencyDistribution Fixed(long ms) => new(ms, ms);

    /// <summary>Draws one delay.</summary>
    public long Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (TailProbability > 0 && random.NextDouble() < TailProbability)
        {
            return random.NextInt64(MaxMs, Math.Max(MaxMs, TailMaxMs) + 1);
        }

        return MaxMs <= MinMs ? MinMs : random.NextInt64(MinMs, MaxMs + 1);
    }
}
