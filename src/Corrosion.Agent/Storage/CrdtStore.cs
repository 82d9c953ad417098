using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The CRDT store (DESIGN.md §4): one SQLite database whose schema tables are CRRs with
/// cr-sqlite semantics. Single writer: <see cref="Execute"/>, <see cref="Apply"/>,
/// <see cref="ChangesFor"/>, <see cref="GetSyncState"/> and <see cref="CurrentVersion"/> must be
/// called from one thread at a time (the StorageActor). <see cref="Query"/> and
/// <see cref="TableStats"/> use a pool of read-only connections and may be called from any thread.
/// </summary>
public sealed partial class CrdtStore : IDisposable
{
    private const string InternalDdl = """
        CREATE TABLE IF NOT EXISTS __corro_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS __corro_sites (ordinal INTEGER PRIMARY KEY, site_id BLOB NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS __corro_bookkeeping (site_id BLOB NOT NULL, start_version INTEGER NOT NULL, end_version INTEGER NOT NULL, PRIMARY KEY (site_id, start_version)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS __corro_versions (site_id BLOB NOT NULL, version INTEGER NOT NULL, last_seq INTEGER NOT NULL, ts INTEGER NOT NULL, keys BLOB, PRIMARY KEY (site_id, version)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS __corro_buffered_changes (site_id BLOB NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL, tbl TEXT NOT NULL, pk BLOB NOT NULL, cid TEXT NOT NULL, val, col_version INTEGER NOT NULL, db_version INTEGER NOT NULL, change_site BLOB NOT NULL, cl INTEGER NOT NULL, PRIMARY KEY (site_id, version, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS __corro_seq_bookkeeping (site_id BLOB NOT NULL, version INTEGER NOT NULL, start_seq INTEGER NOT NULL, end_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (site_id, version, start_seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS __corro_version_keys (site INTEGER NOT NULL, db_version INTEGER NOT NULL, tbl TEXT NOT NULL, part INTEGER NOT NULL, keys BLOB NOT NULL, PRIMARY KEY (site, db_version, tbl, part)) WITHOUT ROWID;
        """;

    // SQLITE_CONFIG_MEMSTATUS (sqlite3.h).
    private const int SqliteConfigMemStatus = 9;

    private static readonly Lazy<bool> NativeInit = new(() =>
    {
        Batteries_V2.Init();
        // No memory statistics (tx12, issue 13): with them every SQLite allocation and free takes a process-wide mutex,
        // ~1.5 µs of the writer's time per transaction; nothing reads them (sqlite3_memory_used, soft heap limit).
        // Only possible before SQLite initializes (the first open); later it is refused and changes nothing.
        _ = raw.sqlite3_config(SqliteConfigMemStatus, 0);
        return true;
    });

    private readonly StoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly sqlite3 _db;
    // Replaced whole (never changed in place) by a schema reload: readers on other threads see the old or the new.
    private volatile Dictionary<string, CrrTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    // The same tables by CrrTable.Id (the number the triggers pass to corro_touch); writer thread only.
    private CrrTable[] _tablesById = [];
    // The (table id, key) pairs the triggers touched in the running local transaction; duplicates
    // and keys of statements rolled back to a savepoint included (the read-back filters by version).
    private readonly List<(int Table, long Key)> _touched = new();
    private readonly Dictionary<ActorId, long> _siteOrdinals = new();
    private readonly Dictionary<long, ActorId> _sitesByOrdinal = new();
    private readonly Dictionary<ActorId, RangeSet> _applied = new();
    private readonly Dictionary<string, NativeStatement> _statements = new(StringComparer.Ordinal);
    private readonly ReadPool _readers;
    private readonly WalCheckpointer? _checkpointer;
    private readonly int _maxValueSize;

    // State the trigger functions read; only meaningful inside Execute.
    private bool _localWrite;
    private long _pendingVersion;
    private long _nextSeq;
    private ulong _hlc;
    private bool _disposed;

    // How the trigger functions (static, unmanaged callbacks) find this store: their user data.
    private GCHandle _self;

    private CrdtStore(StoreOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
        var full = System.IO.Path.GetFullPath(options.Path);
        var directory = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Opened without SQLite's per-connection mutex: only the owning thread uses the writer
        // (see the class remarks), and the hot path makes many small API calls that would each
        // take and release it.
        var opened = raw.sqlite3_open_v2(full, out _db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE | raw.SQLITE_OPEN_NOMUTEX, null);
        if (opened != raw.SQLITE_OK)
        {
            var message = _db is null ? $"cannot open {full} (code {opened})" : raw.sqlite3_errmsg(_db).utf8_to_string();
            _db?.Dispose();
            throw new SqlException(message);
        }

        _self = GCHandle.Alloc(this);
        try
        {
            var synchronous = options.Synchronous.ToUpperInvariant() switch
            {
                "OFF" or "NORMAL" or "FULL" or "EXTRA" => options.Synchronous.ToUpperInvariant(),
                _ => throw new ArgumentException($"db.synchronous must be OFF, NORMAL, FULL or EXTRA, not {options.Synchronous}", nameof(options)),
            };
            NativeStatement.Exec(_db, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = OFF; PRAGMA recursive_triggers = OFF; PRAGMA busy_timeout = 5000;");
            RegisterTriggerFunctions();
            CaptureByHook(BatchInserts);
            NativeStatement.Exec(_db, InternalDdl);
            AddVersionKeysColumn();
            (SiteId, ClusterId) = LoadIdentity(options.ClusterId);
            _siteIdBytes = SiteId.ToByteArray();
            ApplySchema(options.SchemaPaths);
            LoadState();
            LoadCompaction();
            InstallAuthorizer();
            _maxValueSize = options.MaxValueSize;
            _readers = new ReadPool(full, options.ReadPoolSize, options.MaxValueSize, options.ReadConnectionOpened);
            _checkpointer = WalCheckpointer.Install(_db, full, options.CheckpointPages, _logger);
        }
        catch
        {
            DisposeStatements();
            _db.Dispose();
            _self.Free();
            throw;
        }
    }

    /// <summary>Opens (or creates) the database, keeps or creates the site id, and applies the schema.</summary>
    /// <param name="options">Path, schema files and tuning.</param>
    /// <param name="logger">Where to log; nothing when null.</param>
    /// <param name="time">The clock for version timestamps; the system clock when null.</param>
    /// <exception cref="SchemaException">The schema is refused; the database is left untouched.</exception>
    public static CrdtStore Open(StoreOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ = NativeInit.Value;
        var store = new CrdtStore(options, logger ?? NullLogger.Instance, time ?? TimeProvider.System);
        StoreLog.Opened(store._logger, options.Path, store.SiteId, store.ClusterId, store._tables.Count, store.CurrentVersion);
        return store;
    }

    // SiteId's bytes, bound once per local version.
    private readonly byte[] _siteIdBytes = [];

    /// <summary>The options the store was opened with.</summary>
    internal StoreOptions Options => _options;

    /// <summary>This node's 16-byte site (actor) id, created once and kept in the database.</summary>
    public ActorId SiteId { get; }

    /// <summary>The cluster id kept in the database.</summary>
    public ushort ClusterId { get; private set; }

    /// <summary>WAL checkpoints run off the writer so far (0 with <c>db.checkpoint_pages = 0</c>).</summary>
    internal long BackgroundCheckpoints => _checkpointer?.Checkpoints ?? 0;

    /// <summary>RESTART checkpoints the background checkpointer ran because writers outpaced its passive passes (tests).</summary>
    internal long BackgroundCheckpointRestarts => _checkpointer?.Restarts ?? 0;

    /// <summary>The replicated (CRR) tables, by name.</summary>
    public IReadOnlyList<string> Tables => _tables.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>This node's last local version (0 before the first write).</summary>
    public long CurrentVersion { get; private set; }

    /// <summary>The last hybrid logical clock value used or observed.</summary>
    public ulong LastTimestamp => _hlc;

    /// <summary>Changes the cluster id kept in the database.</summary>
    public void SetClusterId(ushort clusterId)
    {
        Prepared("INSERT OR REPLACE INTO __corro_meta (key, value) VALUES ('cluster_id', ?1)").Bind(1, clusterId).Run();
        ClusterId = clusterId;
    }

    /// <summary>
    /// The writer-only functions the CRR triggers call (name, argument count; -1: any). Read connections register each as a stub
    /// that refuses (ReadPool), so a write sent to a read path prepares and is refused as not read-only; the writer
    /// registers exactly these.
    /// </summary>
    internal static readonly (string Name, int Arguments)[] TriggerFunctions =
    [
        ("corro_local", 0), ("corro_version", 0), ("corro_next_seq", 0), ("corro_touch", 2), ("corro_next_seqs", 1), ("corro_insert", -1),
    ];

    // The functions the triggers call, once or more per written row: unmanaged callbacks straight
    // from SQLite (SQLitePCLRaw's bridge allocated an argument array and wrappers per call).
    private unsafe void RegisterTriggerFunctions()
    {
        Register("corro_local", 0, &FnLocal);
        Register("corro_version", 0, &FnVersion);
        Register("corro_next_seq", 0, &FnNextSeq);
        Register("corro_touch", 2, &FnTouch);
        Register("corro_next_seqs", 1, &FnNextSeqs);
        Register("corro_insert", -1, &FnInsert);
    }

    private unsafe void Register(string name, int arguments, delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr*, void> function)
    {
        if (Array.IndexOf(TriggerFunctions, (name, arguments)) < 0)
        {
            throw new InvalidOperationException($"{name}/{arguments} is not listed in TriggerFunctions (read connections would not stub it)");
        }

        // SQLITE_UTF8 only: these are deliberately not deterministic.
        var rc = SqliteNative.sqlite3_create_function_v2(_db.DangerousGetHandle(), name, arguments, raw.SQLITE_UTF8, GCHandle.ToIntPtr(_self), function, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqlException(raw.sqlite3_errmsg(_db).utf8_to_string());
        }
    }

    private static CrdtStore StoreOf(IntPtr context) => (CrdtStore)GCHandle.FromIntPtr(SqliteNative.sqlite3_user_data(context)).Target!;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void FnLocal(IntPtr context, int count, IntPtr* args)
    {
        var store = StoreOf(context);
        if (store._pendingInserts.Count > 0 && !store.FlushInsertsIn(context))
        {
            return;
        }

        SqliteNative.sqlite3_result_int64(context, store._localWrite ? 1 : 0);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void FnVersion(IntPtr context, int count, IntPtr* args) =>
        SqliteNative.sqlite3_result_int64(context, StoreOf(context)._pendingVersion);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void FnNextSeq(IntPtr context, int count, IntPtr* args) =>
        SqliteNative.sqlite3_result_int64(context, StoreOf(context)._nextSeq++);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void FnNextSeqs(IntPtr context, int count, IntPtr* args)
    {
        var store = StoreOf(context);
        SqliteNative.sqlite3_result_int64(context, store._nextSeq);
        store._nextSeq += Math.Max(0, SqliteNative.ArgInt64(args, 0));
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void FnTouch(IntPtr context, int count, IntPtr* args)
    {
        var store = StoreOf(context);
        // An update or delete sees (and the key change reads) the clock rows of the rows inserted before it.
        if (store._pendingInserts.Count > 0 && !store.FlushInsertsIn(context))
        {
            return;
        }

        if (store._localWrite)
        {
            var (table, key) = ((int)SqliteNative.ArgInt64(args, 0), SqliteNative.ArgInt64(args, 1));
            store._touched.Add((table, key));
            // The trigger's body may give the key a clock row.
            store.KeyWritten(table, key);
        }

        SqliteNative.sqlite3_result_int64(context, store._localWrite ? 1 : 0);
    }

    // The insert trigger's WHEN on a table that batches its inserts' clock rows (CrrTable.BatchesInserts):
    // corro_insert(table, key, NEW's value columns...). A local insert's key and values are queued for FlushInserts and
    // the trigger's body skipped (the values become the changes of a row FlushInserts finds new, without reading it
    // back); with batching off the key is touched and the body runs.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void FnInsert(IntPtr context, int count, IntPtr* args)
    {
        var store = StoreOf(context);
        if (!store._localWrite)
        {
            SqliteNative.sqlite3_result_int64(context, 0);
            return;
        }

        var table = (int)SqliteNative.ArgInt64(args, 0);
        var key = SqliteNative.ArgInt64(args, 1);
        if (store.BatchInserts)
        {
            var values = store._insertValues;
            var at = values.Count;
            for (var i = 2; i < count; i++)
            {
                values.Add(SqliteNative.ArgValue(args, i));
            }

            store._pendingInserts.Add((table, key, at));
            SqliteNative.sqlite3_result_int64(context, 0);
            return;
        }

        store._touched.Add((table, key));
        store.KeyWritten(table, key);
        SqliteNative.sqlite3_result_int64(context, 1);
    }

    /// <summary>
    /// <see cref="FlushInserts"/> from inside a trigger function: false (and the calling statement fails with the
    /// message) when it failed, as an exception must not leave an unmanaged callback.
    /// </summary>
    private unsafe bool FlushInsertsIn(IntPtr context)
    {
        try
        {
            FlushInserts();
            return true;
        }
        catch (Exception e)
        {
            _pendingInserts.Clear();
            var message = System.Text.Encoding.UTF8.GetBytes(e.Message);
            fixed (byte* text = message)
            {
                SqliteNative.sqlite3_result_error(context, text, message.Length);
            }

            return false;
        }
    }
    internal NativeStatement Prepared(string sql)
    {
        if (!_statements.TryGetValue(sql, out var stmt))
        {
            stmt = NativeStatement.Prepare(_db, sql);
            _statements[sql] = stmt;
        }

        return stmt;
    }

    private (ActorId Site, ushort Cluster) LoadIdentity(ushort configuredCluster)
    {
        var read = Prepared("SELECT value FROM __corro_meta WHERE key = ?1");
        ActorId site;
        read.Bind(1, "site_id");
        if (read.Step())
        {
            site = ActorId.FromBytes(read.GetBlob(0));
            read.Reset();
        }
        else
        {
            read.Reset();
            site = ActorId.NewId();
            Prepared("INSERT INTO __corro_meta (key, value) VALUES ('site_id', ?1)").BindBlob(1, site.ToByteArray()).Run();
        }

        Prepared("INSERT OR IGNORE INTO __corro_sites (ordinal, site_id) VALUES (0, ?1)").BindBlob(1, site.ToByteArray()).Run();
        ushort cluster;
        read.Bind(1, "cluster_id");
        if (read.Step())
        {
            cluster = (ushort)read.GetInt64(0);
            read.Reset();
            if (cluster != configuredCluster && configuredCluster != 0)
            {
                StoreLog.ClusterIdKept(_logger, configuredCluster, cluster);
            }
        }
        else
        {
            read.Reset();
            cluster = configuredCluster;
            Prepared("INSERT INTO __corro_meta (key, value) VALUES ('cluster_id', ?1)").Bind(1, cluster).Run();
        }

        return (site, cluster);
    }

    private void ApplySchema(IReadOnlyList<string> schemaPaths)
    {
        var existing = SchemaLoader.Inspect(_db);
        IReadOnlyList<TableSchema> desired;
        IReadOnlyList<string> steps;
        if (schemaPaths.Count == 0)
        {
            // No schema configured: keep what the database has.
            desired = existing;
            steps = Array.Empty<string>();
        }
        else
        {
            desired = SchemaLoader.Parse(SchemaLoader.ReadFiles(schemaPaths));
            steps = SchemaLoader.Plan(existing, desired);
        }

        NativeStatement.Exec(_db, "BEGIN IMMEDIATE");
        try
        {
            foreach (var step in steps)
            {
                StoreLog.MigrationStep(_logger, step);
                NativeStatement.Exec(_db, step);
            }

            var layout = ClockLayout();
            var tables = SchemaLoader.Inspect(_db);
            foreach (var table in tables)
            {
                var crr = new CrrTable(_db, table, SchemaLoader.IsRowidAlias(_db, table), _tables.Count);
                if (layout < 2)
                {
                    foreach (var step in crr.MigrationFromLayout1())
                    {
                        StoreLog.MigrationStep(_logger, step);
                        NativeStatement.Exec(_db, step);
                    }
                }

                if (layout < 3)
                {
                    crr.MigrateFromLayout2(step =>
                    {
                        StoreLog.MigrationStep(_logger, step);
                        NativeStatement.Exec(_db, step);
                    });
                }

                NativeStatement.Exec(_db, crr.TablesDdl());
                NativeStatement.Exec(_db, crr.TriggersDdl(BatchInserts));
                _tables[table.Name] = crr;
            }

            _tablesById = _tables.Values.OrderBy(t => t.Id).ToArray();
            NativeStatement.Exec(_db, $"INSERT OR REPLACE INTO __corro_meta (key, value) VALUES ('clock_layout', {CurrentClockLayout})");
            NativeStatement.Exec(_db, "COMMIT");
        }
        catch (SqlException e)
        {
            NativeStatement.Exec(_db, "ROLLBACK");
            foreach (var crr in _tables.Values)
            {
                crr.Dispose();
            }

            _tables.Clear();
            throw new SchemaException($"schema migration failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// The clock layout this code writes. 1: every row has a sentinel and every table a key map.
    /// 2: rows inserted with value columns have no sentinel (cr-sqlite's layout; causal length 1 is
    /// implied by the cells), and tables keyed by a rowid alias have no key map (the clock's key is
    /// the primary key). 3: one clock row per row (<c>t__corro_clock_rows</c>: the sentinel's and
    /// every cell's clock in columns; <c>t__corro_clock</c> is a per-cell view of it), and the keys
    /// each version wrote kept per version (<c>__corro_version_keys</c>) instead of an index by
    /// version per cell. 4: a local version's key lists are in its <c>__corro_versions</c> row
    /// (<c>keys</c>; one row per local transaction, not one more per table), merged versions' still in
    /// <c>__corro_version_keys</c>, where layout 3's local ones stay and are still read.
    /// </summary>
    internal const int CurrentClockLayout = 4;

    /// <summary>
    /// Layout 4's <c>__corro_versions.keys</c>, added to a database of an older layout (its key lists
    /// stay where they are: <see cref="CollectVersion"/> reads both places).
    /// </summary>
    private void AddVersionKeysColumn()
    {
        using var columns = NativeStatement.Prepare(_db, "SELECT count(*) FROM pragma_table_info('__corro_versions') WHERE name = 'keys'");
        var present = columns.Step() && columns.GetInt64(0) > 0;
        columns.Reset();
        if (!present)
        {
            StoreLog.MigrationStep(_logger, "ALTER TABLE __corro_versions ADD COLUMN keys BLOB");
            NativeStatement.Exec(_db, "ALTER TABLE __corro_versions ADD COLUMN keys BLOB");
        }
    }

    /// <summary>The layout of the clocks already in the database: the current one for a new database.</summary>
    private int ClockLayout()
    {
        var read = Prepared("SELECT value FROM __corro_meta WHERE key = 'clock_layout'");
        try
        {
            if (read.Step())
            {
                return (int)read.GetInt64(0);
            }
        }
        finally
        {
            read.Reset();
        }

        var clocks = Prepared("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB '*__corro_clock'");
        bool perCell;
        try
        {
            perCell = clocks.Step() && clocks.GetInt64(0) > 0;
        }
        finally
        {
            clocks.Reset();
        }

        if (!perCell)
        {
            return CurrentClockLayout;
        }

        // Before layout 3 a new database did not record its layout. Layout 1 gave every table a key
        // map; layout 2 none to a table keyed by a rowid alias. (With no such table the two cannot
        // be told apart; layout 1's migration then drops the causal-length-1 sentinels of key
        // changes, which only the writing node had.)
        foreach (var table in SchemaLoader.Inspect(_db))
        {
            if (SchemaLoader.IsRowidAlias(_db, table))
            {
                var keyMap = Prepared("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
                keyMap.Bind(1, table.Name + "__corro_pks");
                var hasKeyMap = keyMap.Step() && keyMap.GetInt64(0) > 0;
                keyMap.Reset();
                return hasKeyMap ? 1 : 2;
            }
        }

        return 1;
    }

    private void LoadState()
    {
        _siteOrdinals.Clear();
        _sitesByOrdinal.Clear();
        var sites = Prepared("SELECT ordinal, site_id FROM __corro_sites");
        while (sites.Step())
        {
            var id = ActorId.FromBytes(sites.GetBlob(1));
            _siteOrdinals[id] = sites.GetInt64(0);
            _sitesByOrdinal[sites.GetInt64(0)] = id;
        }

        sites.Reset();
        _applied.Clear();
        var ranges = Prepared("SELECT site_id, start_version, end_version FROM __corro_bookkeeping ORDER BY site_id, start_version");
        while (ranges.Step())
        {
            var id = ActorId.FromBytes(ranges.GetBlob(0));
            AppliedOf(id).Add(ranges.GetInt64(1), ranges.GetInt64(2));
        }

        ranges.Reset();
        // Local versions are serial and each has its __corro_versions row, written in its own
        // transaction, so 1..max of them are applied; they are not repeated in __corro_bookkeeping
        // (one page fewer per local commit). Compaction keeps the highest one's row (CompactStep).
        var latest = Prepared("SELECT max(version) FROM __corro_versions WHERE site_id = ?1");
        latest.BindBlob(1, SiteId.ToByteArray());
        var ownMax = latest.Step() && !latest.IsNull(0) ? latest.GetInt64(0) : 0;
        latest.Reset();
        if (ownMax > 0)
        {
            AppliedOf(SiteId).Add(1, ownMax);
        }

        CurrentVersion = _applied.TryGetValue(SiteId, out var own) ? own.Max : 0;
        // Compaction deletes the rows of cleared versions (never a site's highest) and keeps their highest timestamp.
        var ts = Prepared("SELECT max(coalesce((SELECT max(ts) FROM __corro_versions), 0), coalesce((SELECT value FROM __corro_meta WHERE key = 'compacted_ts'), 0))");
        _hlc = ts.Step() && !ts.IsNull(0) ? (ulong)ts.GetInt64(0) : 0;
        ts.Reset();
    }

    private void KeyWritten(int table, long key)
    {
        if ((uint)table < (uint)_tablesById.Length)
        {
            _tablesById[table].KeyWritten(key);
        }
        else
        {
            ForgetKeyCeilings();
        }
    }

    /// <summary>Clock rows may be written other than by local writes (a merge, a user statement on a clock table).</summary>
    private void ForgetKeyCeilings()
    {
        foreach (var table in _tablesById)
        {
            table.ForgetKeyCeiling();
        }
    }

    private RangeSet AppliedOf(ActorId actor)
    {
        if (!_applied.TryGetValue(actor, out var set))
        {
            set = new RangeSet();
            _applied[actor] = set;
        }

        return set;
    }

    private long SiteOrdinal(ActorId actor)
    {
        if (_siteOrdinals.TryGetValue(actor, out var ordinal))
        {
            return ordinal;
        }

        var insert = Prepared("INSERT INTO __corro_sites (site_id) VALUES (?1) RETURNING ordinal");
        insert.BindBlob(1, actor.ToByteArray());
        try
        {
            insert.Step();
            ordinal = insert.GetInt64(0);
        }
        finally
        {
            insert.Reset();
        }

        _siteOrdinals[actor] = ordinal;
        _sitesByOrdinal[ordinal] = actor;
        return ordinal;
    }

    private ActorId SiteOf(long? ordinal) =>
        ordinal is { } o && _sitesByOrdinal.TryGetValue(o, out var id) ? id : ActorId.Empty;

    /// <summary>
    /// Versions of other actors below the highest one applied that are not applied yet (gaps, partly
    /// received ones included), from the in-memory bookkeeping: cheap, writer thread only.
    /// </summary>
    public long GapCount()
    {
        long total = 0;
        foreach (var set in _applied.Values)
        {
            foreach (var (start, end) in set.Missing(1, set.Max))
            {
                total += end - start + 1;
            }
        }

        return total;
    }

    /// <summary>True when this node has applied (or cleared) <paramref name="version"/> of <paramref name="actor"/>.</summary>
    public bool IsApplied(ActorId actor, long version) => _applied.TryGetValue(actor, out var set) && set.Contains(version);

    /// <summary>Marks versions applied, in memory and in <c>__corro_bookkeeping</c>.</summary>
    private void MarkApplied(ActorId actor, long start, long end)
    {
        var (removed, merged) = AppliedOf(actor).Add(start, end);
        var blob = actor.ToByteArray();
        var delete = Prepared("DELETE FROM __corro_bookkeeping WHERE site_id = ?1 AND start_version = ?2");
        foreach (var r in removed)
        {
            delete.BindBlob(1, blob).Bind(2, r.Start).Run();
        }

        Prepared("INSERT OR REPLACE INTO __corro_bookkeeping (site_id, start_version, end_version) VALUES (?1, ?2, ?3)")
            .BindBlob(1, blob).Bind(2, merged.Start).Bind(3, merged.End).Run();
    }

    /// <summary>The next hybrid logical clock value (NTP64-like: unix seconds &lt;&lt; 32 | fraction).</summary>
    private ulong NextTimestamp()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var physical = ((ulong)(now / 1000) << 32) | (ulong)((now % 1000) * 4294967296L / 1000);
        _hlc = Math.Max(_hlc + 1, physical);
        return _hlc;
    }

    private NativeStatement? _begin;
    private NativeStatement? _commit;

    private void Begin() => (_begin ??= Prepared("BEGIN IMMEDIATE")).Run();

    private void Commit() => (_commit ??= Prepared("COMMIT")).Run();

    private void Rollback()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            Prepared("ROLLBACK").Run();
        }

        // In-memory caches may have run ahead of what was rolled back.
        LoadState();
    }

    private void DisposeStatements()
    {
        foreach (var stmt in _statements.Values)
        {
            stmt.Dispose();
        }

        _statements.Clear();
        foreach (var stmt in _userStatements.Values)
        {
            stmt.Dispose();
        }

        _userStatements.Clear();
        _lastUserStatement = default;
        foreach (var table in _tables.Values)
        {
            table.Dispose();
        }
    }

    /// <summary>
    /// Frees the page caches of the writer and of the idle read connections (SQLite keeps up to
    /// <c>cache_size</c> pages per connection, 2 MiB by default, after the work that filled them).
    /// Call on the writer's thread (the <see cref="StorageActor"/>); the caches refill from the
    /// operating system's file cache as the next statements need pages.
    /// </summary>
    /// <returns>The bytes of page cache freed.</returns>
    public long ReleaseMemory() => ShrinkMemory(_db) + _readers.ReleaseMemory();

    /// <summary>Frees one connection's unused page-cache memory; the bytes it freed.</summary>
    internal static long ShrinkMemory(sqlite3 db)
    {
        var before = CacheUsed(db);
        NativeStatement.Exec(db, "PRAGMA shrink_memory");
        return Math.Max(0, before - CacheUsed(db));
    }

    /// <summary>Bytes of page cache a connection holds now (<c>SQLITE_DBSTATUS_CACHE_USED</c>).</summary>
    internal static long CacheUsed(sqlite3 db) =>
        raw.sqlite3_db_status(db, raw.SQLITE_DBSTATUS_CACHE_USED, out var current, out _, 0) == raw.SQLITE_OK ? current : 0;

    /// <summary>Bytes of page cache the writer holds now.</summary>
    public long WriterCacheUsed => CacheUsed(_db);

    /// <summary>Closes the writer and the read pool.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var (_, cache) in _liveStatements)
        {
            cache.Dispose();
        }

        _checkpointer?.Uninstall(_db);
        _checkpointer?.Dispose();
        _readers.Dispose();
        SaveCompaction();
        DisposeStatements();
        if (_hookInstalled)
        {
            UninstallHook();
        }

        _db.Dispose();
        _self.Free();
    }
}
