namespace Corrosion.Client;

/// <summary>
/// Exponential backoff with jitter for reads (opening queries, subscriptions and update streams, and
/// re-attaching them). Retry <c>n</c> (from 1) waits a random time between half and all of
/// <c>min(MaxDelay, InitialDelay * 2^(n-1))</c>; jitter keeps many clients from reconnecting in step.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Default retries after the first try.</summary>
    public const int DefaultMaxAttempts = 8;

    /// <summary>Default delay before the first retry.</summary>
    public static readonly TimeSpan DefaultInitialDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Default longest delay between retries.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>The default policy: 8 retries, from 100 ms up to 10 s apart.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>No retries: the first failure is reported.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 0 };

    /// <summary>Retries after the first try (0: none).</summary>
    public int MaxAttempts { get; init; } = DefaultMaxAttempts;

    /// <summary>Delay before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = DefaultInitialDelay;

    /// <summary>Longest delay between retries.</summary>
    public TimeSpan MaxDelay { get; init; } = DefaultMaxDelay;

    /// <summary>The delay before retry <paramref name="attempt"/> (from 1).</summary>
    /// <param name="attempt">The retry's number, from 1.</param>
    /// <param name="random">The source of jitter.</param>
    public TimeSpan DelayBefore(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, InitialDelay.TotalMilliseconds * Math.Pow(2, exponent));
        ceiling = Math.Max(0, ceiling);
        return TimeSpan.FromMilliseconds((ceiling / 2) + (random.NextDouble() * ceiling / 2));
    }
}
