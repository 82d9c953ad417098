namespace Corrosion.Agent.Storage;

/// <summary>The outcome of <see cref="CrdtStore.Apply"/>.</summary>
/// <param name="Applied">The (actor, versions) that became applied by this batch (complete versions and cleared ones).</param>
/// <param name="Changed">The incoming changes that changed data (not only clocks), in application order.</param>
/// <param name="Buffered">The (actor, version) chunks buffered because their version is still incomplete.</param>
public sealed record MergeResult(
    IReadOnlyList<ActorVersions> Applied,
    IReadOnlyList<Change> Changed,
    IReadOnlyList<ActorVersions> Buffered)
{
    /// <summary>
    /// The rows (table, key as it came) this batch brought into existence, new or revived: their
    /// columns no change of the batch named hold their defaults, so a reader of <see cref="Changed"/>
    /// can tell a row that existed before (whose other columns kept their values) from one that did not.
    /// </summary>
    public IReadOnlyList<(string Table, IReadOnlyList<SqlValue> Pk)> Created { get; init; } = [];

    /// <summary>True when the batch changed nothing (all duplicates or stale).</summary>
    public bool IsEmpty => Applied.Count == 0 && Buffered.Count == 0;
}
