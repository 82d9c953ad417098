using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// How live queries are batched, bounded, kept and expired; bound from the <c>subscriptions</c>
/// section (keys as in reference.conf).
/// </summary>
public sealed record SubscriptionOptions
{
    /// <summary>Default of the deprecated <see cref="BatchWindow"/> (ignored).</summary>
    public static readonly TimeSpan DefaultBatchWindow = TimeSpan.FromMilliseconds(10);

    /// <summary>Default most evaluations running at once on the read pool.</summary>
    public const int DefaultMaxConcurrentEvaluations = 2;

    /// <summary>Default changes buffered per listener before it is dropped as too slow.</summary>
    public const int DefaultSubscriberBuffer = 1024;

    /// <summary>Default time a subscription without listeners is kept.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Default most live subscriptions on a node.</summary>
    public const int DefaultMaxSubscriptions = 1000;

    /// <summary>Default most changes kept per subscription for resuming listeners.</summary>
    public const int DefaultMaxChangeLog = 10_000;

    /// <summary>Default longest time a change is kept for resuming listeners.</summary>
    public static readonly TimeSpan DefaultMaxChangeAge = TimeSpan.FromHours(1);

    /// <summary>Suffix of the default file, added to <c>db.path</c>.</summary>
    public const string DefaultPathSuffix = ".subscriptions.db";

    /// <summary>The SQLite file holding subscriptions, their rows and change logs; empty = <c>db.path</c> + <see cref="DefaultPathSuffix"/>.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>
    /// Deprecated and ignored: a change is evaluated at once, and changes arriving while a
    /// subscription evaluates are gathered into its next evaluation. Still accepted (and validated)
    /// so existing configuration files keep loading.
    /// </summary>
    [ConfigurationKeyName("batch_window")]
    public TimeSpan BatchWindow { get; init; } = DefaultBatchWindow;

    /// <summary>Most evaluation slots running at once on the read pool (cheap keyed evaluations share one as a batch); a slow query holds one, the others use the rest.</summary>
    [ConfigurationKeyName("max_concurrent_evaluations")]
    public int MaxConcurrentEvaluations { get; init; } = DefaultMaxConcurrentEvaluations;

    /// <summary>Changes buffered per listener; on overflow its stream ends with <see cref="SubscriberTooSlowException"/>.</summary>
    [ConfigurationKeyName("subscriber_buffer")]
    public int SubscriberBuffer { get; init; } = DefaultSubscriberBuffer;

    /// <summary>A subscription with no listener for this long is dropped with its rows and change log.</summary>
    [ConfigurationKeyName("idle_timeout")]
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Most live subscriptions; more are refused (Unavailable).</summary>
    [ConfigurationKeyName("max_subscriptions")]
    public int MaxSubscriptions { get; init; } = DefaultMaxSubscriptions;

    /// <summary>Most changes kept per subscription; older ones are pruned.</summary>
    [ConfigurationKeyName("max_change_log")]
    public int MaxChangeLog { get; init; } = DefaultMaxChangeLog;

    /// <summary>Changes older than this are pruned.</summary>
    [ConfigurationKeyName("max_change_age")]
    public TimeSpan MaxChangeAge { get; init; } = DefaultMaxChangeAge;

    /// <summary>The file to use for a database at <paramref name="dbPath"/>.</summary>
    public string ResolvePath(string dbPath) => string.IsNullOrWhiteSpace(Path) ? dbPath + DefaultPathSuffix : Path;

    /// <summary>How often idle subscriptions and old changes are looked for.</summary>
    internal TimeSpan MaintenanceInterval
    {
        get
        {
            var shortest = IdleTimeout < MaxChangeAge ? IdleTimeout : MaxChangeAge;
            var quarter = shortest / 4;
            return quarter < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10)
                : quarter > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30)
                : quarter;
        }
    }

    /// <summary>Checks that the values make sense; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    public SubscriptionOptions Validate()
    {
        Require(BatchWindow >= TimeSpan.Zero && BatchWindow <= TimeSpan.FromSeconds(10), "batch_window", "must be between 0 and 10s");
        Require(MaxConcurrentEvaluations is >= 1 and <= 64, "max_concurrent_evaluations", "must be between 1 and 64");
        Require(SubscriberBuffer is >= 1 and <= 1_000_000, "subscriber_buffer", "must be between 1 and 1000000");
        Require(IdleTimeout > TimeSpan.Zero, "idle_timeout", "must be positive");
        Require(MaxSubscriptions >= 1, "max_subscriptions", "must be at least 1");
        Require(MaxChangeLog >= 1, "max_change_log", "must be at least 1");
        Require(MaxChangeAge > TimeSpan.Zero, "max_change_age", "must be positive");
        return this;
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"configuration key subscriptions.{key} {problem}");
        }
    }
}
