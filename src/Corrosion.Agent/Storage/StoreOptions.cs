namespace Corrosion.Agent.Storage;

/// <summary>Options of the <see cref="CrdtStore"/> (config section <c>db</c>).</summary>
/// <param name="Path">The database file (its directory is created).</param>
/// <param name="SchemaPaths">Schema <c>.sql</c> files or folders of them.</param>
/// <param name="Synchronous">SQLite's <c>synchronous</c> pragma: OFF, NORMAL, FULL or EXTRA.</param>
/// <param name="ReadPoolSize">How many read-only connections serve queries.</param>
/// <param name="ClusterId">The cluster id kept in the database on first start.</param>
/// <param name="MaxChangesPerChunk">The most changes one <see cref="ChangesetFull"/> carries.</param>
public sealed record StoreOptions(
    string Path,
    IReadOnlyList<string> SchemaPaths,
    string Synchronous = StoreOptions.DefaultSynchronous,
    int ReadPoolSize = StoreOptions.DefaultReadPoolSize,
    ushort ClusterId = 0,
    int MaxChangesPerChunk = StoreOptions.DefaultMaxChangesPerChunk)
{
    /// <summary>Default of <see cref="Synchronous"/>.</summary>
    public const string DefaultSynchronous = "NORMAL";

    /// <summary>Default of <see cref="ReadPoolSize"/>.</summary>
    public const int DefaultReadPoolSize = 4;

    /// <summary>Default of <see cref="MaxChangesPerChunk"/>.</summary>
    public const int DefaultMaxChangesPerChunk = 1000;

    /// <summary>Default of <see cref="Path"/>.</summary>
    public const string DefaultPath = "./data/corrosion.db";
}
