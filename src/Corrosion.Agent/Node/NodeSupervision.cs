namespace Corrosion.Agent.Node;

/// <summary>
/// How <see cref="NodeSupervisor"/> restarts a failed actor: after min × 2^n (n = restarts within the
/// window so far), capped at max, plus up to <see cref="RandomFactor"/> of it at random, capped at max;
/// a failure beyond <see cref="MaxRestarts"/> within <see cref="Window"/> stops the node.
/// </summary>
/// <param name="MinBackoff">Delay before the first restart in a window.</param>
/// <param name="MaxBackoff">Longest delay.</param>
/// <param name="RandomFactor">Random extra fraction of each delay (0.2 = up to +20 %), so actors failing together do not restart together.</param>
/// <param name="MaxRestarts">Restarts allowed within the window; the next failure stops the node.</param>
/// <param name="Window">Sliding window in which restarts are counted.</param>
public sealed record NodeSupervision(TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor, int MaxRestarts, TimeSpan Window)
{
    /// <summary>
    /// 200 ms doubling to 30 s, 20 % jitter, 10 restarts within 5 minutes: an actor failing on every
    /// start stops the node after about two minutes; one failing now and then is restarted for ever.
    /// </summary>
    public static NodeSupervision Default { get; } =
        new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), 0.2, 10, TimeSpan.FromMinutes(5));

    /// <summary>The delay before restart number <paramref name="restartsInWindow"/> + 1.</summary>
    /// <param name="restartsInWindow">Restarts already made within the window.</param>
    /// <param name="random">Source of the jitter.</param>
    /// <returns>The delay, never above <see cref="MaxBackoff"/>.</returns>
    public TimeSpan BackoffFor(int restartsInWindow, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ticks = Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * Math.Pow(2, Math.Clamp(restartsInWindow, 0, 62)));
        ticks *= 1 + (random.NextDouble() * RandomFactor);
        return TimeSpan.FromTicks((long)Math.Min(ticks, MaxBackoff.Ticks));
    }
}
