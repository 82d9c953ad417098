namespace Corrosion.Agent.Storage;

/// <summary>Options of the <see cref="CrdtStore"/> (config section <c>db</c>).</summary>
/// <param name="Path">The database file (its directory is created).</param>
/// <param name="SchemaPaths">Schema <c>.sql</c> files or folders of them.</param>
/// <param name="Synchronous">SQLite's <c>synchronous</c> pragma: OFF, NORMAL, FULL or EXTRA.</param>
/// <param name="ReadPoolSize">How many read-only connections serve queries.</param>
/// <param name="ClusterId">The cluster id kept in the database on first start.</param>
/// <param name="MaxChangesPerChunk">The most changes one <see cref="ChangesetFull"/> carries.</param>
/// <param name="MaxValueSize">
/// The largest string or blob, in bytes, that a local transaction may write or a query may produce
/// (SQLite's <c>SQLITE_LIMIT_LENGTH</c>, which also bounds one row). Merges from peers are not bound by it.
/// </param>
/// <param name="CheckpointPages">
/// WAL size, in pages, at which a background connection checkpoints (<see cref="WalCheckpointer"/>);
/// 0 leaves SQLite's automatic checkpoint inside the committing write.
/// </param>
public sealed record StoreOptions(
    string Path,
    IReadOnlyList<string> SchemaPaths,
    string Synchronous = StoreOptions.DefaultSynchronous,
    int ReadPoolSize = StoreOptions.DefaultReadPoolSize,
    ushort ClusterId = 0,
    int MaxChangesPerChunk = StoreOptions.DefaultMaxChangesPerChunk,
    int MaxValueSize = StoreOptions.DefaultMaxValueSize,
    int CheckpointPages = StoreOptions.DefaultCheckpointPages)
{
    /// <summary>Default of <see cref="CheckpointPages"/> here: SQLite's own automatic checkpoint size (the subscription files checkpoint at it).</summary>
    public const int DefaultCheckpointPages = 1000;

    /// <summary>
    /// Default of <c>db.checkpoint_pages</c>, the node's database: 4000 pages (16 MiB of WAL). Each checkpoint
    /// fsyncs the log and copies each page written since the last one once, so a longer log copies hot pages (a table's
    /// last leaf, its indexes, the clock tables) less often per transaction: native agent CPU per transaction under
    /// wrk -c16 lower than at 1000 pages in 4 of 5 alternating pairs, by 4.8 µs (~6 %) in the median pair
    /// (bench/RESULTS.md, "HTTP transactions/s, session 12").
    /// </summary>
    public const int DefaultNodeCheckpointPages = 4000;

    /// <summary>Default of <see cref="MaxValueSize"/>: 8 MiB, as <c>api.max_body_size</c>.</summary>
    public const int DefaultMaxValueSize = 8 * 1024 * 1024;

    /// <summary>The most <see cref="MaxValueSize"/> may be: SQLite's own bound.</summary>
    public const int MaxMaxValueSize = 1_000_000_000;

    /// <summary>Default of <see cref="Synchronous"/>.</summary>
    public const string DefaultSynchronous = "NORMAL";

    /// <summary>Default of <see cref="ReadPoolSize"/>.</summary>
    public const int DefaultReadPoolSize = 4;

    /// <summary>Default of <see cref="MaxChangesPerChunk"/>.</summary>
    public const int DefaultMaxChangesPerChunk = 1000;

    /// <summary>Default of <see cref="Path"/>.</summary>
    public const string DefaultPath = "./data/corrosion.db";

    /// <summary>Default of <see cref="CompactionInterval"/>.</summary>
    public static readonly TimeSpan DefaultCompactionInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="CompactionBatch"/>.</summary>
    public const int DefaultCompactionBatch = 1000;

    /// <summary>
    /// How long after a write the storage actor starts a pass of bookkeeping compaction (<see cref="CrdtStore.CompactStep"/>:
    /// the <c>__corro_versions</c> rows and key lists of versions whose cells have all been overwritten are deleted);
    /// a pass runs in steps of at most <see cref="CompactionBatch"/> versions and ~1 ms (10 ms apart while they find cleared
    /// versions, this interval apart otherwise), and nothing runs while nothing is written. <see cref="TimeSpan.Zero"/>: never (the bookkeeping grows with every version).
    /// </summary>
    public TimeSpan CompactionInterval { get; init; } = DefaultCompactionInterval;

    /// <summary>The most versions one compaction step looks at (each step is one transaction on the writer).</summary>
    public int CompactionBatch { get; init; } = DefaultCompactionBatch;

    /// <summary>
    /// Called on every read-only connection once it is open (tests register SQL functions with it,
    /// such as a gate that holds a query until the test lets it go).
    /// </summary>
    internal Action<Microsoft.Data.Sqlite.SqliteConnection>? ReadConnectionOpened { get; init; }
}
