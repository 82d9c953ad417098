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

    /// <summary>Default most changes merged in one batch of sync answers.</summary>
    public const int DefaultApplyBatchChanges = 5_000;

    /// <summary>Default most versions read from storage at once while serving a sync request.</summary>
    public const int DefaultServeReadVersions = 16;

    /// <summary>Default time a storage request (read or merge) may take before the session gives up.</summary>
    public static readonly TimeSpan DefaultStorageTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default time one sync session (either side) may take in all.</summary>
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

    /// <summary>Most changes merged in one batch of sync answers.</summary>
    [ConfigurationKeyName("apply_batch_changes")]
    public int ApplyBatchChanges { get; init; } = DefaultApplyBatchChanges;

    /// <summary>Most versions read from storage at once while serving (bounds memory per session).</summary>
    [ConfigurationKeyName("serve_read_versions")]
    public int ServeReadVersions { get; init; } = DefaultServeReadVersions;

    /// <summary>Deadline of one storage request made by a sync session.</summary>
    [ConfigurationKeyName("storage_timeout")]
    public TimeSpan StorageTimeout { get; init; } = DefaultStorageTimeout;

    /// <summary>Deadline of a whole sync session.</summary>
    [ConfigurationKeyName("session_timeout")]
    public TimeSpan SessionTimeout { get; init; } = DefaultSessionTimeout;

    /// <summary>Checks that the values make sense; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    public GossipOptions Validate()
    {
        if (ReceiveBatch < 1 || ApplyBatchChanges < 1 || ServeReadVersions < 1 || MergeBatchChanges < 1 || MergesInFlight < 1)
        {
            throw new ArgumentException(
                $"gossip.replication: need receive_batch, apply_batch_changes, serve_read_versions, merge_batch_changes and merges_in_flight >= 1, got {ReceiveBatch}, {ApplyBatchChanges}, {ServeReadVersions}, {MergeBatchChanges}, {MergesInFlight}");
        }

        if (StorageTimeout <= TimeSpan.Zero || SessionTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"gossip.replication: storage_timeout and session_timeout must be positive, got {StorageTimeout} and {SessionTimeout}");
        }

        return this;
    }
}
