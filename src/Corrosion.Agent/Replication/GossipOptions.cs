using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Replication;

/// <summary>
/// How <see cref="GossipActor"/> batches and bounds its work, bound from the <c>gossip.replication</c>
/// section (keys as in reference.conf). Broadcast and sync planning have their own options.
/// </summary>
public sealed record GossipOptions
{
    /// <summary>Default most broadcast frames taken from the transport and handled (and merged) together.</summary>
    public const int DefaultReceiveBatch = 256;

    /// <summary>Default most changes of broadcast changesets merged in one transaction (a changeset larger than this goes alone).</summary>
    public const int DefaultMergeBatchChanges = 5_000;

    /// <summary>Default merges of broadcast changesets handed to the writer before its answer: what arrives meanwhile waits and goes as one.</summary>
    public const int DefaultMergesInFlight = 1;

    /// <summary>Default interval of the reports telling origins how far their versions are applied here.</summary>
    public static readonly TimeSpan DefaultAppliedReportInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Default most changes of ours a live peer may not have applied before local writes wait.</summary>
    public const long DefaultMaxPeerLagChanges = 10_000;

    /// <summary>Default age after which a peer's applied report no longer counts.</summary>
    public static readonly TimeSpan DefaultPeerReportMaxAge = TimeSpan.FromSeconds(1);

    /// <summary>Default longest one local write waits for trailing peers.</summary>
    public static readonly TimeSpan DefaultMaxWriteWait = TimeSpan.FromSeconds(1);

    /// <summary>Default most changes merged in one batch of sync answers.</summary>
    public const int DefaultApplyBatchChanges = 5_000;

    /// <summary>Default most versions read from storage at once while serving a sync request.</summary>
    public const int DefaultServeReadVersions = 16;

    /// <summary>Default changes after which one storage read made while serving a sync request stops (at a version's end).</summary>
    public const int DefaultServeReadChanges = int.MaxValue;

    /// <summary>Default time a storage request (read or merge) may take before the session gives up.</summary>
    public static readonly TimeSpan DefaultStorageTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default time one sync session (either side) may go without moving a frame.</summary>
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Most broadcast frames handled (and merged) together.</summary>
    [ConfigurationKeyName("receive_batch")]
    public int ReceiveBatch { get; init; } = DefaultReceiveBatch;

    /// <summary>Most changes of broadcast changesets merged in one transaction.</summary>
    [ConfigurationKeyName("merge_batch_changes")]
    public int MergeBatchChanges { get; init; } = DefaultMergeBatchChanges;

    /// <summary>Merges of broadcast changesets handed to the writer before its answer.</summary>
    [ConfigurationKeyName("merges_in_flight")]
    public int MergesInFlight { get; init; } = DefaultMergesInFlight;

    /// <summary>How often (at most) this node tells each origin how far its versions are applied here; zero sends no reports.</summary>
    [ConfigurationKeyName("applied_report_interval")]
    public TimeSpan AppliedReportInterval { get; init; } = DefaultAppliedReportInterval;

    /// <summary>Local writes wait while a live peer has not applied more than this many of our changes; 0 never waits.</summary>
    [ConfigurationKeyName("max_peer_lag_changes")]
    public long MaxPeerLagChanges { get; init; } = DefaultMaxPeerLagChanges;

    /// <summary>A peer's applied report older than this does not count (the peer stopped reporting: partitioned, or gone).</summary>
    [ConfigurationKeyName("peer_report_max_age")]
    public TimeSpan PeerReportMaxAge { get; init; } = DefaultPeerReportMaxAge;

    /// <summary>The longest one local write waits for trailing peers before it goes anyway.</summary>
    [ConfigurationKeyName("max_write_wait")]
    public TimeSpan MaxWriteWait { get; init; } = DefaultMaxWriteWait;

    /// <summary>Most changes merged in one batch of sync answers.</summary>
    [ConfigurationKeyName("apply_batch_changes")]
    public int ApplyBatchChanges { get; init; } = DefaultApplyBatchChanges;

    /// <summary>Most versions read from storage at once while serving (bounds memory per session).</summary>
    [ConfigurationKeyName("serve_read_versions")]
    public int ServeReadVersions { get; init; } = DefaultServeReadVersions;

    /// <summary>
    /// Changes after which one storage read made while serving stops (at the end of the version that reaches it): with
    /// <see cref="ServeReadVersions"/>, bounds how long one read holds the writer whatever the versions' sizes.
    /// </summary>
    [ConfigurationKeyName("serve_read_changes")]
    public int ServeReadChanges { get; init; } = DefaultServeReadChanges;

    /// <summary>Deadline of one storage request made by a sync session.</summary>
    [ConfigurationKeyName("storage_timeout")]
    public TimeSpan StorageTimeout { get; init; } = DefaultStorageTimeout;

    /// <summary>A sync session (either side) that moves no frame for this long is closed.</summary>
    [ConfigurationKeyName("session_timeout")]
    public TimeSpan SessionTimeout { get; init; } = DefaultSessionTimeout;

    /// <summary>Checks that the values make sense; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    public GossipOptions Validate()
    {
        if (ReceiveBatch < 1 || ApplyBatchChanges < 1 || ServeReadVersions < 1 || ServeReadChanges < 1 || MergeBatchChanges < 1 || MergesInFlight < 1)
        {
            throw new ArgumentException(
                $"gossip.replication: need receive_batch, apply_batch_changes, serve_read_versions, serve_read_changes, merge_batch_changes and merges_in_flight >= 1, got {ReceiveBatch}, {ApplyBatchChanges}, {ServeReadVersions}, {ServeReadChanges}, {MergeBatchChanges}, {MergesInFlight}");
        }

        if (StorageTimeout <= TimeSpan.Zero || SessionTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"gossip.replication: storage_timeout and session_timeout must be positive, got {StorageTimeout} and {SessionTimeout}");
        }

        if (AppliedReportInterval < TimeSpan.Zero || MaxPeerLagChanges < 0 || PeerReportMaxAge <= TimeSpan.Zero || MaxWriteWait < TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"gossip.replication: need applied_report_interval, max_peer_lag_changes and max_write_wait >= 0 and peer_report_max_age > 0, got {AppliedReportInterval}, {MaxPeerLagChanges}, {PeerReportMaxAge}, {MaxWriteWait}");
        }

        return this;
    }
}
