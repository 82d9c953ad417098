using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>The <c>db</c> section: where the database lives and which schema it holds.</summary>
public sealed class DbOptions
{
    /// <summary>Default database file, relative to the working directory.</summary>
    public const string DefaultPath = "./data/corrosion.db";

    /// <summary>The SQLite database file.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>Files or folders of <c>.sql</c> files with the schema of replicated tables.</summary>
    [ConfigurationKeyName("schema_paths")]
    public List<string> SchemaPaths { get; set; } = [];

    /// <summary>SQLite's <c>synchronous</c> pragma: OFF, NORMAL, FULL or EXTRA.</summary>
    public string Synchronous { get; set; } = "NORMAL";

    /// <summary>Read-only connections for queries.</summary>
    [ConfigurationKeyName("read_pool_size")]
    public int ReadPoolSize { get; set; } = 4;

    /// <summary>When no schema path is given, create the demo tables so a fresh node is usable.</summary>
    [ConfigurationKeyName("demo_schema")]
    public bool DemoSchema { get; set; } = true;

    /// <summary>Changes per changeset chunk.</summary>
    [ConfigurationKeyName("max_changes_per_chunk")]
    public int MaxChangesPerChunk { get; set; } = 1000;

    /// <summary>Most write transactions waiting at the writer that share one SQLite commit (1: each commits alone).</summary>
    [ConfigurationKeyName("group_commit_max")]
    public int GroupCommitMax { get; set; } = Storage.StorageActor.DefaultGroupCommitMax;

    /// <summary>The largest string or blob (and row) a local write may store or a query produce.</summary>
    [ConfigurationKeyName("max_value_size")]
    public ByteSize MaxValueSize { get; set; } = new(Storage.StoreOptions.DefaultMaxValueSize);

    /// <summary>How long after a write a pass of bookkeeping compaction starts (0: never).</summary>
    [ConfigurationKeyName("compaction_interval")]
    public TimeSpan CompactionInterval { get; set; } = Storage.StoreOptions.DefaultCompactionInterval;

    /// <summary>The most versions one compaction step looks at.</summary>
    [ConfigurationKeyName("compaction_batch")]
    public int CompactionBatch { get; set; } = Storage.StoreOptions.DefaultCompactionBatch;

    /// <summary>WAL pages after which a background connection checkpoints (0: SQLite checkpoints inside the committing write).</summary>
    [ConfigurationKeyName("checkpoint_pages")]
    public int CheckpointPages { get; set; } = Storage.StoreOptions.DefaultNodeCheckpointPages;
}
