namespace Corrosion.Actors;

/// <summary>
/// How a parent handles a failed child: a decider maps the exception to a <see cref="Directive"/>; restarts wait an
/// exponential backoff (min doubling up to max, plus seeded jitter); more than <see cref="MaxRestarts"/> restarts within
/// <see cref="Window"/> turn into <see cref="Directive.Escalate"/>.
/// </summary>
public sealed class SupervisorStrategy
{
    /// <summary>Default smallest delay before a restart.</summary>
    public static readonly TimeSpan DefaultMinBackoff = TimeSpan.FromMilliseconds(200);

    /// <summary>Default largest delay before a restart.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Default jitter: up to 20 % added to each delay.</summary>
    public const double DefaultJitter = 0.2;

    /// <summary>Default number of restarts allowed within the window.</summary>
    public const int DefaultMaxRestarts = 10;

    /// <summary>Default window in which restarts are counted.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    private SupervisorStrategy(
        bool allForOne,
        Func<Exception, Directive> decider,
        TimeSpan minBackoff,
        TimeSpan maxBackoff,
        double jitter,
        int maxRestarts,
        TimeSpan window)
    {
        if (minBackoff < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(minBackoff), "Backoff cannot be negative.");
        }

        if (maxBackoff < minBackoff)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBackoff), "Max backoff must be at least min backoff.");
        }

        if (jitter < 0 || double.IsNaN(jitter))
        {
            throw new ArgumentOutOfRangeException(nameof(jitter), "Jitter must be zero or positive.");
        }

        if (window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(window), "Window must be positive.");
        }

        IsAllForOne = allForOne;
        Decider = decider;
        MinBackoff = minBackoff;
        MaxBackoff = maxBackoff;
        Jitter = jitter;
        MaxRestarts = maxRestarts;
        Window = window;
    }

    /// <summary>
    /// Restart with the default backoff (200 ms doubling to 30 s, 20 % jitter) for every exception; the 11th failure within
    /// 5 minutes escalates (a child failing continuously escalates after about two minutes).
    /// </summary>
    public static SupervisorStrategy Default { get; } = OneForOne();

    /// <summary>Stop a failed child, whatever the exception.</summary>
    public static SupervisorStrategy StoppingStrategy { get; } = OneForOne(_ => Directive.Stop);

    /// <summary>True when a directive applies to all children of the parent, not only the failed one.</summary>
    public bool IsAllForOne { get; }

    /// <summary>Maps a child's exception to what the parent does.</summary>
    public Func<Exception, Directive> Decider { get; }

    /// <summary>Delay before the first restart in a window.</summary>
    public TimeSpan MinBackoff { get; }

    /// <summary>Cap of the restart delay.</summary>
    public TimeSpan MaxBackoff { get; }

    /// <summary>Random extra fraction (0.2 = up to +20 %) added to each delay; the result never exceeds <see cref="MaxBackoff"/>.</summary>
    public double Jitter { get; }

    /// <summary>Restarts allowed within <see cref="Window"/> before the failure escalates; negative means unlimited.</summary>
    public int MaxRestarts { get; }

    /// <summary>Sliding window in which restarts are counted (and in which the backoff keeps growing).</summary>
    public TimeSpan Window { get; }

    /// <summary>A strategy whose directive applies only to the failed child.</summary>
    /// <param name="decider">Exception to directive; default: always restart.</param>
    /// <param name="minBackoff">Delay before the first restart (default 200 ms); zero restarts at once.</param>
    /// <param name="maxBackoff">Cap of the delay (default 30 s).</param>
    /// <param name="jitter">Random extra fraction of each delay (default 0.2).</param>
    /// <param name="maxRestarts">Restarts allowed in the window before escalating (default 10; negative: unlimited).</param>
    /// <param name="window">Window of the restart count (default 5 minutes).</param>
    /// <returns>The strategy.</returns>
    public static SupervisorStrategy OneForOne(
        Func<Exception, Directive>? decider = null,
        TimeSpan? minBackoff = null,
        TimeSpan? maxBackoff = null,
        double jitter = DefaultJitter,
        int maxRestarts = DefaultMaxRestarts,
        TimeSpan? window = null) =>
        Create(allForOne: false, decider, minBackoff, maxBackoff, jitter, maxRestarts, window);

    /// <summary>A strategy whose directive applies to all children of the parent (siblings restart or stop too).</summary>
    /// <param name="decider">Exception to directive; default: always restart.</param>
    /// <param name="minBackoff">Delay before the first restart (default 200 ms); zero restarts at once.</param>
    /// <param name="maxBackoff">Cap of the delay (default 30 s).</param>
    /// <param name="jitter">Random extra fraction of each delay (default 0.2).</param>
    /// <param name="maxRestarts">Restarts allowed in the window before escalating (default 10; negative: unlimited).</param>
    /// <param name="window">Window of the restart count (default 5 minutes).</param>
    /// <returns>The strategy.</returns>
    public static SupervisorStrategy AllForOne(
        Func<Exception, Directive>? decider = null,
        TimeSpan? minBackoff = null,
        TimeSpan? maxBackoff = null,
        double jitter = DefaultJitter,
        int maxRestarts = DefaultMaxRestarts,
        TimeSpan? window = null) =>
        Create(allForOne: true, decider, minBackoff, maxBackoff, jitter, maxRestarts, window);

    /// <summary>
    /// The delay before restart number <paramref name="restartsInWindow"/> (0 for the first):
    /// min × 2^n, capped at max, plus up to <see cref="Jitter"/> of it drawn from <paramref name="random"/>, capped at max.
    /// </summary>
    /// <param name="restartsInWindow">How many restarts already happened within the window.</param>
    /// <param name="random">Source of jitter (seeded by the system).</param>
    /// <returns>The delay.</returns>
    public TimeSpan BackoffFor(int restartsInWindow, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (MinBackoff == TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var exponent = Math.Min(Math.Max(restartsInWindow, 0), 62);
        var ticks = MinBackoff.Ticks * Math.Pow(2, exponent);
        ticks = Math.Min(ticks, MaxBackoff.Ticks);
        if (Jitter > 0)
        {
            ticks *= 1 + (random.NextDouble() * Jitter);
        }

        return TimeSpan.FromTicks((long)Math.Min(ticks, MaxBackoff.Ticks));
    }

    private static SupervisorStrategy Create(
        bool allForOne,
        Func<Exception, Directive>? decider,
        TimeSpan? minBackoff,
        TimeSpan? maxBackoff,
        double jitter,
        int maxRestarts,
        TimeSpan? window)
    {
        var min = minBackoff ?? DefaultMinBackoff;
        var max = maxBackoff ?? (min > DefaultMaxBackoff ? min : DefaultMaxBackoff);
        return new SupervisorStrategy(
            allForOne, decider ?? (_ => Directive.Restart), min, max, jitter, maxRestarts, window ?? DefaultWindow);
    }
}
