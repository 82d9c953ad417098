using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>
/// How <see cref="NodeSupervisor"/> restarts a failed actor, bound from the <c>supervision</c>
/// section: after min × 2^n (n = restarts within the window so far), capped at max, plus up to
/// <see cref="RandomFactor"/> of it at random, capped at max; a failure beyond
/// <see cref="MaxRestarts"/> within <see cref="Window"/> stops the node.
/// </summary>
public sealed record SupervisionOptions
{
    /// <summary>Default delay before the first restart in a window.</summary>
    public static readonly TimeSpan DefaultMinBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Default longest delay.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Default jitter: up to 20 % added to each delay.</summary>
    public const double DefaultRandomFactor = 0.2;

    /// <summary>Default restarts allowed within the window (an actor failing on every start stops the node after about two minutes).</summary>
    public const int DefaultMaxRestarts = 10;

    /// <summary>Default window in which restarts are counted.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    /// <summary>Delay before the first restart in a window.</summary>
    [ConfigurationKeyName("min_backoff")]
    public TimeSpan MinBackoff { get; init; } = DefaultMinBackoff;

    /// <summary>Longest delay.</summary>
    [ConfigurationKeyName("max_backoff")]
    public TimeSpan MaxBackoff { get; init; } = DefaultMaxBackoff;

    /// <summary>Random extra fraction of each delay (0.2 = up to +20 %), so actors failing together do not restart together.</summary>
    [ConfigurationKeyName("random_factor")]
    public double RandomFactor { get; init; } = DefaultRandomFactor;

    /// <summary>Restarts allowed within the window; the next failure stops the node.</summary>
    [ConfigurationKeyName("max_restarts")]
    public int MaxRestarts { get; init; } = DefaultMaxRestarts;

    /// <summary>Sliding window in which restarts are counted.</summary>
    public TimeSpan Window { get; init; } = DefaultWindow;

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

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    /// <returns>This instance.</returns>
    public SupervisionOptions Validate()
    {
        if (MinBackoff <= TimeSpan.Zero || MaxBackoff < MinBackoff)
        {
            throw new ArgumentException($"supervision.min_backoff must be positive and supervision.max_backoff at least as long, got {MinBackoff} and {MaxBackoff}");
        }

        if (RandomFactor is < 0 or > 1 || double.IsNaN(RandomFactor))
        {
            throw new ArgumentException($"supervision.random_factor must be between 0 and 1, got {RandomFactor}");
        }

        if (MaxRestarts < 0)
        {
            throw new ArgumentException($"supervision.max_restarts must be zero or more, got {MaxRestarts}");
        }

        if (Window <= TimeSpan.Zero)
        {
            throw new ArgumentException($"supervision.window must be positive, got {Window}");
        }

        return this;
    }
}
