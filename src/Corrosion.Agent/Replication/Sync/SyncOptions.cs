using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// Anti-entropy tuning (DESIGN.md §5), bound from the <c>gossip.sync</c> section (keys as in reference.conf). Every value can be
/// overridden with <c>with</c>; <see cref="Validate"/> checks them at start-up.
/// </summary>
public sealed record SyncOptions
{
    /// <summary>Default shortest pause between sync rounds (after a round that found something missing).</summary>
    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default longest pause between sync rounds (reached after rounds that found nothing).</summary>
    public static readonly TimeSpan DefaultMaxInterval = TimeSpan.FromSeconds(15);

    /// <summary>Default cap of whole versions in one requested range.</summary>
    public const int DefaultMaxVersionsPerRequest = 100;

    /// <summary>Default cap of whole versions asked of one peer in one round.</summary>
    public const long DefaultMaxVersionsPerRound = 100_000;

    /// <summary>Default fewest peers per round (when the cluster has that many).</summary>
    public const int DefaultMinPeers = 3;

    /// <summary>Default most peers per round.</summary>
    public const int DefaultMaxPeers = 10;

    /// <summary>Default cap of sync sessions this node serves at once.</summary>
    public const int DefaultMaxIncoming = 5;

    /// <summary>Default cap of sync sessions this node runs at once (at least <see cref="DefaultMaxPeers"/>).</summary>
    public const int DefaultMaxOutgoing = 10;

    /// <summary>Default age beyond which a peer's (or this node's) sync digest no longer counts.</summary>
    public static readonly TimeSpan DefaultDigestMaxAge = TimeSpan.FromSeconds(30);

    /// <summary>Shortest pause between rounds.</summary>
    [ConfigurationKeyName("min_interval")]
    public TimeSpan MinInterval { get; init; } = DefaultMinInterval;

    /// <summary>Longest pause between rounds.</summary>
    [ConfigurationKeyName("max_interval")]
    public TimeSpan MaxInterval { get; init; } = DefaultMaxInterval;

    /// <summary>Cap of whole versions in one requested range.</summary>
    [ConfigurationKeyName("max_versions_per_request")]
    public int MaxVersionsPerRequest { get; init; } = DefaultMaxVersionsPerRequest;

    /// <summary>
    /// Cap of whole versions asked of one peer in one round; what is left is asked in the next rounds. It bounds a
    /// round's work and request size whatever heads peers announce (a head may be any version up to
    /// <see cref="long.MaxValue"/>).
    /// </summary>
    [ConfigurationKeyName("max_versions_per_round")]
    public long MaxVersionsPerRound { get; init; } = DefaultMaxVersionsPerRound;

    /// <summary>Fewest peers per round (<c>clamp(n / 100, MinPeers, MaxPeers)</c>).</summary>
    [ConfigurationKeyName("min_peers")]
    public int MinPeers { get; init; } = DefaultMinPeers;

    /// <summary>Most peers per round.</summary>
    [ConfigurationKeyName("max_peers")]
    public int MaxPeers { get; init; } = DefaultMaxPeers;

    /// <summary>Cap of sync sessions served at once; more are refused.</summary>
    [ConfigurationKeyName("max_incoming")]
    public int MaxIncoming { get; init; } = DefaultMaxIncoming;

    /// <summary>Cap of sync sessions run at once.</summary>
    [ConfigurationKeyName("max_outgoing")]
    public int MaxOutgoing { get; init; } = DefaultMaxOutgoing;

    /// <summary>
    /// Whether a round leaves out peers whose last sync digest (carried on their SWIM datagrams) equals
    /// this node's: equal states have nothing to pull, so an idle converged cluster opens no sessions.
    /// </summary>
    [ConfigurationKeyName("skip_matching_digests")]
    public bool SkipMatchingDigests { get; init; } = true;

    /// <summary>
    /// A peer's digest heard longer ago than this is not trusted (it syncs as if unknown), and this node
    /// re-reads its own state for a new digest after this long even when no change was seen.
    /// </summary>
    [ConfigurationKeyName("digest_max_age")]
    public TimeSpan DigestMaxAge { get; init; } = DefaultDigestMaxAge;

    /// <summary>Checks that the values make sense; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    public SyncOptions Validate()
    {
        if (MinInterval <= TimeSpan.Zero || MaxInterval < MinInterval)
        {
            throw new ArgumentException(
                $"gossip.sync: need 0 < min_interval <= max_interval, got {MinInterval} and {MaxInterval}");
        }

        if (MaxVersionsPerRequest < 1)
        {
            throw new ArgumentException($"gossip.sync.max_versions_per_request must be at least 1, got {MaxVersionsPerRequest}");
        }

        if (MaxVersionsPerRound < MaxVersionsPerRequest)
        {
            throw new ArgumentException(
                $"gossip.sync.max_versions_per_round must be at least max_versions_per_request ({MaxVersionsPerRequest}), got {MaxVersionsPerRound}");
        }

        if (MinPeers < 1 || MaxPeers < MinPeers)
        {
            throw new ArgumentException($"gossip.sync: need 1 <= min_peers <= max_peers, got {MinPeers} and {MaxPeers}");
        }

        if (MaxIncoming < 0 || MaxOutgoing < 1)
        {
            throw new ArgumentException(
                $"gossip.sync: need max_incoming >= 0 and max_outgoing >= 1, got {MaxIncoming} and {MaxOutgoing}");
        }

        if (DigestMaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentException($"gossip.sync.digest_max_age must be positive, got {DigestMaxAge}");
        }

        return this;
    }
}
