using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>Builds stores in a temporary directory that is deleted on dispose.</summary>
internal sealed class StoreBuilder : IDisposable
{
    public const string DefaultSchema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER DEFAULT 0 NOT NULL, data ANY);
        CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v, PRIMARY KEY (a, b));
        """;

    private readonly List<CrdtStore> _stores = new();
    private string _schema = DefaultSchema;
    private int _maxChunk = StoreOptions.DefaultMaxChangesPerChunk;
    private int _next;

    public StoreBuilder()
    {
        Root = Path.Combine(Path.GetTempPath(), "corro-store-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public StoreBuilder WithSchema(string schema)
    {
        _schema = schema;
        return this;
    }

    public StoreBuilder WithMaxChunk(int max)
    {
        _maxChunk = max;
        return this;
    }

    public string WriteSchema(string schema, string name = "schema.sql")
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, schema);
        return path;
    }

    public StoreOptions Options(string name) =>
        new(Path.Combine(Root, name, "corrosion.db"), new[] { WriteSchema(_schema, name + ".sql") }, ReadPoolSize: 2, MaxChangesPerChunk: _maxChunk, Synchronous: "OFF");

    public CrdtStore Build(string? name = null)
    {
        var store = CrdtStore.Open(Options(name ?? ("node" + _next++)));
        _stores.Add(store);
        return store;
    }

    public CrdtStore Open(StoreOptions options)
    {
        var store = CrdtStore.Open(options);
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Small helpers to write and read stores in tests.</summary>
internal static class StoreTestExtensions
{
    public static TransactionResult Exec(this CrdtStore store, string sql, params object?[] args) =>
        store.Execute(new[] { new Statement(sql, args.Select(SqlValue.FromObject).ToArray()) });

    public static List<SqlValue[]> Rows(this CrdtStore store, string sql)
    {
        using var result = store.Query(new Statement(sql));
        return result.Rows.Select(r => r.Cells).ToList();
    }

    public static SqlValue Scalar(this CrdtStore store, string sql) => store.Rows(sql).Single()[0];

    /// <summary>All changesets of every actor this store has applied.</summary>
    public static List<Changeset> AllChanges(this CrdtStore store)
    {
        var state = store.GetSyncState();
        return state.Heads.SelectMany(h => store.ChangesFor(h.Key, new VersionRange(1, h.Value))).ToList();
    }

    /// <summary>User rows and clock rows, keyed by pk values (not internal key ids), as comparable text.</summary>
    public static List<string> Snapshot(this CrdtStore store)
    {
        var lines = new List<string>();
        foreach (var table in store.Tables)
        {
            lines.AddRange(store.Rows($"SELECT * FROM \"{table}\"").Select(r => $"{table} row {string.Join("|", r.Select(c => c.ToString()))}"));
            var pkCols = store.Rows($"SELECT name FROM pragma_table_info('{table}') WHERE pk > 0 ORDER BY pk").Select(r => "p.\"" + r[0].AsText + "\"");
            // A table keyed by a rowid alias has no key map: the clock's key is the primary key.
            var keyMap = store.Scalar($"SELECT count(*) FROM sqlite_master WHERE name = '{table}__corro_pks'").AsInteger > 0;
            var keys = keyMap ? string.Join(", ", pkCols) : "c.key";
            var join = keyMap ? $"JOIN \"{table}__corro_pks\" p ON p.key = c.key" : string.Empty;
            // Sentinels of causal length 1 are left out: as in cr-sqlite, only the node that wrote
            // one (a key-only row, the new key of a key change) may have it; peers merge the row
            // from its cells, and the difference matters only to that node's own later REPLACE.
            var sql = $"SELECT {keys}, c.cid, c.col_version, c.db_version, coalesce(hex(s.site_id), 'NONE'), c.seq FROM \"{table}__corro_clock\" c {join} LEFT JOIN __corro_sites s ON s.ordinal = c.site WHERE NOT (c.cid = '-1' AND c.col_version = 1)";
            lines.AddRange(store.Rows(sql).Select(r => $"{table} clock {string.Join("|", r.Select(c => c.ToString()))}"));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>
    /// What the store serves for sync, as comparable text: its sync state (heads, gaps, partial
    /// needs) and every changeset <see cref="AllChanges"/> returns, change by change.
    /// </summary>
    public static List<string> SyncDump(this CrdtStore store)
    {
        var state = store.GetSyncState();
        var lines = new List<string>();
        foreach (var (actor, head) in state.Heads.OrderBy(h => h.Key.ToString(), StringComparer.Ordinal))
        {
            lines.Add($"head {actor} {head}");
            if (state.Needs.TryGetValue(actor, out var needs))
            {
                lines.AddRange(needs.Select(n => $"need {actor} {n.Start}..{n.End}"));
            }

            if (state.PartialNeeds.TryGetValue(actor, out var partial))
            {
                lines.AddRange(partial.OrderBy(p => p.Key).Select(p => $"partial {actor} v{p.Key} {string.Join(",", p.Value.Select(s => $"{s.Start}..{s.End}"))}"));
            }

            foreach (var changeset in store.ChangesFor(actor, new VersionRange(1, head)))
            {
                switch (changeset)
                {
                    case ChangesetEmpty empty:
                        lines.Add($"empty {actor} {empty.Versions.Start}..{empty.Versions.End}");
                        break;
                    case ChangesetFull full:
                        lines.Add($"full {actor} v{full.Version} seqs {full.Seqs.Start}..{full.Seqs.End} last {full.LastSeq} ts {full.Timestamp}");
                        lines.AddRange(full.Changes.Select(c => $"  {c.Table} ({string.Join(",", c.Pk.Select(v => v.ToString()))}) {c.Cid}={c.Value} col {c.ColVersion} db {c.DbVersion} site {c.SiteId} cl {c.Cl} seq {c.Seq}"));
                        break;
                }
            }
        }

        return lines;
    }
}
