using System.Globalization;
using System.Text;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// One replicated table: the DDL of its key map, clock table and triggers, and the prepared
/// statements the merge and change extraction use (prepared once, reused on the hot path).
/// </summary>
internal sealed class CrrTable : IDisposable
{
    /// <summary>The site ordinal of the local node in clock tables.</summary>
    public const long LocalSite = 0;

    private readonly sqlite3 _db;
    private readonly Dictionary<string, NativeStatement> _selectValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NativeStatement> _updateValue = new(StringComparer.Ordinal);
    private NativeStatement? _findKey;
    private NativeStatement? _insertKey;
    private NativeStatement? _selectClock;
    private NativeStatement? _hasCells;
    private NativeStatement? _upsertClock;
    private NativeStatement? _deleteColumnClocks;
    private NativeStatement? _deleteRow;
    private NativeStatement? _insertRow;
    private NativeStatement? _versionCells;
    private NativeStatement? _versionRow;
    private byte[][]? _cidUtf8;

    public CrrTable(sqlite3 db, TableSchema schema, bool directKey)
    {
        _db = db;
        Schema = schema;
        DirectKey = directKey;
        Name = schema.Name;
        PkNames = schema.PkColumns.Select(c => c.Name).ToArray();
        ColumnNames = schema.ValueColumns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        Pks = SchemaLoader.Quote(Name + "__corro_pks");
        Clock = SchemaLoader.Quote(Name + "__corro_clock");
        Quoted = SchemaLoader.Quote(Name);
    }

    public string Name { get; }

    /// <summary>
    /// True when the key is a rowid alias (a single INTEGER PRIMARY KEY): the clock's key is then
    /// the primary key itself and there is no key map (two B-tree inserts fewer per new row).
    /// </summary>
    public bool DirectKey { get; }

    public TableSchema Schema { get; }

    public IReadOnlyList<string> PkNames { get; }

    public IReadOnlySet<string> ColumnNames { get; }

    private string Pks { get; }

    private string Clock { get; }

    private string Quoted { get; }

    /// <summary>Key map (unless <see cref="DirectKey"/>), clock table and its version index (idempotent).</summary>
    public string TablesDdl()
    {
        const string clock = "(key INTEGER NOT NULL, cid TEXT NOT NULL, col_version INTEGER NOT NULL, db_version INTEGER NOT NULL, site INTEGER, seq INTEGER NOT NULL, PRIMARY KEY (key, cid)) WITHOUT ROWID";
        if (DirectKey)
        {
            return $"""
                CREATE TABLE IF NOT EXISTS {Clock} {clock};
                CREATE INDEX IF NOT EXISTS {SchemaLoader.Quote(Name + "__corro_clock_version")} ON {Clock} (site, db_version);
                """;
        }

        var pkCols = string.Join(", ", PkNames.Select(SchemaLoader.Quote));
        // Same declared types as the table's key: with differing affinities SQLite cannot use the
        // unique index for the triggers' NEW.pk lookups and would scan the key map per row.
        var pkDefs = string.Join(", ", Schema.PkColumns.Select(c => (SchemaLoader.Quote(c.Name) + " " + c.Type).TrimEnd()));
        return $"""
            CREATE TABLE IF NOT EXISTS {Pks} (key INTEGER PRIMARY KEY, {pkDefs}, UNIQUE ({pkCols}));
            CREATE TABLE IF NOT EXISTS {Clock} {clock};
            CREATE INDEX IF NOT EXISTS {SchemaLoader.Quote(Name + "__corro_clock_version")} ON {Clock} (site, db_version);
            """;
    }

    /// <summary>
    /// Steps that bring this table's clocks from layout 1 to the current one (run before
    /// <see cref="TablesDdl"/>, in the schema transaction; nothing to do for a table new to the
    /// database). Rows with value columns lose their causal-length-1 sentinels (cr-sqlite has none:
    /// the cells imply it; key-only tables keep theirs, their only clock); a table keyed by a rowid
    /// alias has its clocks re-keyed by the primary key and its key map dropped.
    /// </summary>
    public IReadOnlyList<string> MigrationFromLayout1()
    {
        var steps = new List<string>();
        if (!Exists(Name + "__corro_clock"))
        {
            return steps;
        }

        if (Schema.ValueColumns.Count > 0)
        {
            steps.Add($"DELETE FROM {Clock} WHERE cid = '-1' AND col_version = 1");
        }

        if (DirectKey && Exists(Name + "__corro_pks"))
        {
            var moved = SchemaLoader.Quote(Name + "__corro_clock_layout1");
            // The triggers name the clock table; they are recreated after the migration.
            steps.Add(DropTriggers());
            steps.Add($"ALTER TABLE {Clock} RENAME TO {moved}");
            steps.Add($"DROP INDEX IF EXISTS {SchemaLoader.Quote(Name + "__corro_clock_version")}");
            steps.Add(TablesDdl());
            steps.Add($"INSERT INTO {Clock} (key, cid, col_version, db_version, site, seq) SELECT p.{SchemaLoader.Quote(PkNames[0])}, c.cid, c.col_version, c.db_version, c.site, c.seq FROM {moved} c JOIN {Pks} p ON p.key = c.key");
            steps.Add($"DROP TABLE {moved}");
            steps.Add($"DROP TABLE {Pks}");
        }

        return steps;
    }

    private bool Exists(string table)
    {
        using var stmt = NativeStatement.Prepare(_db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
        stmt.Bind(1, table);
        var found = stmt.Step() && stmt.GetInt64(0) > 0;
        stmt.Reset();
        return found;
    }

    private string Match(string alias, string source) =>
        string.Join(" AND ", PkNames.Select(p => $"{alias}.{SchemaLoader.Quote(p)} IS {source}.{SchemaLoader.Quote(p)}"));

    private string KeyOf(string source) =>
        DirectKey ? $"{source}.{SchemaLoader.Quote(PkNames[0])}" : $"(SELECT k.key FROM {Pks} k WHERE {Match("k", source)})";

    private string EnsureKey(string source) => DirectKey ? string.Empty :
        $"INSERT INTO {Pks} ({string.Join(", ", PkNames.Select(SchemaLoader.Quote))}) SELECT {string.Join(", ", PkNames.Select(p => $"{source}.{SchemaLoader.Quote(p)}"))} WHERE true ON CONFLICT DO NOTHING;";

    // The sentinel moves to the next odd (alive) or even (deleted) causal length, or is created at
    // 1 or 2. When the causal length already has the wanted parity nothing is written, but a seq
    // may be drawn: a gap, which versions tolerate (Execute only counts versions with changes).
    //
    // As in cr-sqlite, a row inserted into a table with value columns has no sentinel: its causal
    // length 1 is implied by its column clocks (one clock row and index entry fewer per new row).
    // An insert over a live row (INSERT OR REPLACE, REPLACE INTO; no delete trigger fires without
    // recursive triggers) raises the causal length by 2 when the row has a sentinel — after a
    // delete, in a key-only table, after a key change — and keeps it otherwise; cr-sqlite's insert
    // trigger does the same. So the insert of a key with value columns only updates a sentinel that
    // exists (a seek, no write for a new row).
    private string SentinelUpsert(string source, bool alive, bool ownSentinel = true)
    {
        var from = DirectKey ? $"(SELECT {source}.{SchemaLoader.Quote(PkNames[0])} AS key) k WHERE true" : $"{Pks} k WHERE {Match("k", source)}";
        if (!alive)
        {
            return $"INSERT INTO {Clock} (key, cid, col_version, db_version, site, seq) SELECT k.key, '-1', 2, corro_version(), 0, corro_next_seq() FROM {from} ON CONFLICT (key, cid) DO UPDATE SET col_version = col_version + 1, db_version = excluded.db_version, site = 0, seq = excluded.seq WHERE col_version % 2 = 1;";
        }

        if (!ownSentinel)
        {
            return $"UPDATE {Clock} SET col_version = col_version + 1 + col_version % 2, db_version = corro_version(), site = 0, seq = corro_next_seq() WHERE key = {KeyOf(source)} AND cid = '-1';";
        }

        return $"INSERT INTO {Clock} (key, cid, col_version, db_version, site, seq) SELECT k.key, '-1', 1, corro_version(), 0, corro_next_seq() FROM {from} ON CONFLICT (key, cid) DO UPDATE SET col_version = col_version + 1 + col_version % 2, db_version = excluded.db_version, site = 0, seq = excluded.seq;";
    }

    // Every value column (or, with a condition, those for which it holds) gets col_version + 1, in
    // one statement per row. The VALUES list is the only loop, so SQLite runs it as a co-routine in
    // column order (seqs follow the schema's column order) instead of materialising it into a
    // temporary b-tree; the key is a scalar subquery on NEW/OLD only, which SQLite evaluates once
    // per statement rather than once per column.
    private string ColumnsUpsert(string source, Func<string, string>? changed)
    {
        if (Schema.ValueColumns.Count == 0)
        {
            return string.Empty;
        }

        var rows = string.Join(", ", Schema.ValueColumns.Select(c => changed is null ? $"({Literal(c.Name)}, 1)" : $"({Literal(c.Name)}, {changed(c.Name)})"));
        var key = KeyOf(source);
        return $"INSERT INTO {Clock} (key, cid, col_version, db_version, site, seq) SELECT {key}, v.column1, 1, corro_version(), 0, corro_next_seq() FROM (VALUES {rows}) v WHERE v.column2 AND {key} IS NOT NULL ON CONFLICT (key, cid) DO UPDATE SET col_version = col_version + 1, db_version = excluded.db_version, site = 0, seq = excluded.seq;\n";
    }

    // Insert of a key: causal length 1 for a new key, next odd after a delete, + 2 for a REPLACE of
    // a live row that has a sentinel (see SentinelUpsert). Every value column gets +1.
    private string InsertBody(string source)
    {
        var body = new StringBuilder();
        body.AppendLine(EnsureKey(source));
        body.AppendLine(SentinelUpsert(source, alive: true, ownSentinel: Schema.ValueColumns.Count == 0));
        body.Append(ColumnsUpsert(source, null));
        return body.ToString();
    }

    // A primary-key change: the new key gets the old key's column
    // versions, + 1 for columns the same UPDATE changes (cr-sqlite moves the column clocks, so a
    // moved cell keeps beating a concurrent write of lower col_version), under this version so
    // peers that already have the old one still receive them, and a sentinel of its own; then the
    // old key is deleted.
    private string KeyChangeBody()
    {
        var body = new StringBuilder();
        body.AppendLine(EnsureKey("NEW"));
        if (Schema.ValueColumns.Count > 0)
        {
            // The VALUES list drives the loop (CROSS JOIN keeps it outer), so seqs follow the
            // schema's column order.
            var columns = string.Join(", ", Schema.ValueColumns.Select(c => $"({Literal(c.Name)}, {ValueChanged(c.Name)})"));
            body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key, cid, col_version, db_version, site, seq) SELECT {KeyOf("NEW")}, v.column1, o.col_version + v.column2, corro_version(), 0, corro_next_seq() FROM (VALUES {columns}) v CROSS JOIN {Clock} o WHERE o.key = {KeyOf("OLD")} AND o.cid = v.column1 ON CONFLICT (key, cid) DO UPDATE SET col_version = excluded.col_version, db_version = excluded.db_version, site = 0, seq = excluded.seq;");
        }

        // The sentinel after the cells, as cr-sqlite's changes list them (the moved cells keep
        // older versions there): a peer creates the row from the cells and, as in cr-sqlite,
        // ignores a sentinel of the same causal length, so only this node's row has a sentinel.
        body.AppendLine(SentinelUpsert("NEW", alive: true));
        body.Append(DeleteBody("OLD"));
        return body.ToString();
    }

    // Delete: next even causal length, column clocks go.
    private string DeleteBody(string source)
    {
        var key = KeyOf(source);
        var body = new StringBuilder();
        body.AppendLine(EnsureKey(source));
        body.AppendLine(SentinelUpsert(source, alive: false));
        body.AppendLine(CultureInfo.InvariantCulture, $"DELETE FROM {Clock} WHERE key = {key} AND cid <> '-1';");
        return body.ToString();
    }

    /// <summary>The triggers (dropped and recreated at every start, so they follow added columns).</summary>
    public string TriggersDdl()
    {
        var prefix = Name + "__corro_";
        var pkChanged = string.Join(" OR ", PkNames.Select(p => $"OLD.{SchemaLoader.Quote(p)} IS NOT NEW.{SchemaLoader.Quote(p)}"));
        var update = ColumnsUpsert("NEW", ValueChanged);
        if (update.Length == 0)
        {
            update = "SELECT 1;\n";
        }

        return $"""
            {DropTriggers()}
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "insert")} AFTER INSERT ON {Quoted} WHEN corro_local() BEGIN
            {InsertBody("NEW")}END;
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "update")} AFTER UPDATE ON {Quoted} WHEN corro_local() AND NOT ({pkChanged}) BEGIN
            {update}END;
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "update_pk")} AFTER UPDATE ON {Quoted} WHEN corro_local() AND ({pkChanged}) BEGIN
            {KeyChangeBody()}END;
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "delete")} AFTER DELETE ON {Quoted} WHEN corro_local() BEGIN
            {DeleteBody("OLD")}END;
            """;
    }

    // "Did this column change" must be the merge's value equality (SqlValue.Equals: same storage
    // class, same bytes), not SQLite's: `IS` calls INTEGER 3 and REAL 3.0 equal and compares text
    // with the column's collation, and 0.0 = -0.0. A write that changed only one of those would
    // keep its old clock, and the peers — who merge by the total order — would never hear of it
    // (the chaos run with seed 15 ended with REAL 3.0 on one node, INTEGER 3 elsewhere, under
    // identical clocks). NaN needs no case: SQLite stores it as NULL.
    private static string ValueChanged(string column)
    {
        var (o, n) = ("OLD." + SchemaLoader.Quote(column), "NEW." + SchemaLoader.Quote(column));
        return $"({o} IS NOT {n} COLLATE BINARY OR typeof({o}) <> typeof({n}) OR (typeof({o}) = 'real' AND {o} = 0 AND atan2({o}, -1.0) <> atan2({n}, -1.0)))";
    }

    private string DropTriggers()
    {
        var prefix = Name + "__corro_";
        return string.Concat(TriggerKinds.Select(t => $"DROP TRIGGER IF EXISTS {SchemaLoader.Quote(prefix + t)};\n"));
    }

    private static readonly string[] TriggerKinds = ["insert", "update", "update_pk", "delete"];

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private string PkWhere(int firstIndex) =>
        string.Join(" AND ", PkNames.Select((p, i) => $"{SchemaLoader.Quote(p)} IS ?{firstIndex + i}"));

    private NativeStatement Lazy(ref NativeStatement? slot, Func<string> sql) => slot ??= NativeStatement.Prepare(_db, sql());

    private void BindPk(NativeStatement stmt, IReadOnlyList<SqlValue> pk, int firstIndex)
    {
        if (pk.Count != PkNames.Count)
        {
            throw new SqlException($"table {Name}: primary key has {PkNames.Count} columns, change has {pk.Count}");
        }

        for (var i = 0; i < pk.Count; i++)
        {
            stmt.Bind(firstIndex + i, pk[i]);
        }
    }

    public long? FindKey(IReadOnlyList<SqlValue> pk)
    {
        if (DirectKey)
        {
            return DirectKeyOf(pk);
        }

        var stmt = Lazy(ref _findKey, () => $"SELECT key FROM {Pks} WHERE {PkWhere(1)}");
        BindPk(stmt, pk, 1);
        try
        {
            return stmt.Step() ? stmt.GetInt64(0) : null;
        }
        finally
        {
            stmt.Reset();
        }
    }

    public long InsertKey(IReadOnlyList<SqlValue> pk)
    {
        if (DirectKey)
        {
            return DirectKeyOf(pk);
        }

        var stmt = Lazy(ref _insertKey, () => $"INSERT INTO {Pks} ({string.Join(", ", PkNames.Select(SchemaLoader.Quote))}) VALUES ({string.Join(", ", PkNames.Select((_, i) => $"?{i + 1}"))}) RETURNING key");
        BindPk(stmt, pk, 1);
        try
        {
            stmt.Step();
            return stmt.GetInt64(0);
        }
        finally
        {
            stmt.Reset();
        }
    }

    private long DirectKeyOf(IReadOnlyList<SqlValue> pk)
    {
        if (pk.Count != 1 || pk[0].Kind != SqlValueKind.Integer)
        {
            throw new SqlException($"table {Name}: the primary key is an INTEGER PRIMARY KEY, so a change must carry one integer, not ({string.Join(", ", pk)})");
        }

        return pk[0].AsInteger;
    }

    /// <summary>
    /// The row's sentinel clock; when it has none but has a clock for a value column (its causal
    /// length is then 1, implied by its cells) <paramref name="noSentinel"/>; null when the row has
    /// no clocks at all. One statement (two seeks at most) instead of a sentinel lookup and a
    /// cell lookup.
    /// </summary>
    public (long ColVersion, long DbVersion, long? Site, long Seq)? SelectRowClock(long key, (long ColVersion, long DbVersion, long? Site, long Seq) noSentinel)
    {
        // A compound's LIMIT applies to the whole: the second part runs only when the first found no sentinel.
        var stmt = Lazy(ref _hasCells, () => $"SELECT 1, col_version, db_version, site, seq FROM {Clock} WHERE key = ?1 AND cid = '-1' UNION ALL SELECT 0, 0, 0, NULL, 0 FROM (SELECT 1 FROM {Clock} WHERE key = ?1 AND cid <> '-1' LIMIT 1) LIMIT 1");
        stmt.Bind(1, key);
        try
        {
            if (!stmt.Step())
            {
                return null;
            }

            return stmt.GetInt64(0) == 0 ? noSentinel : (stmt.GetInt64(1), stmt.GetInt64(2), stmt.IsNull(3) ? null : stmt.GetInt64(3), stmt.GetInt64(4));
        }
        finally
        {
            stmt.Reset();
        }
    }

    /// <summary>The clock of one cell: (col_version, db_version, site ordinal or null, seq), or null when absent.</summary>
    public (long ColVersion, long DbVersion, long? Site, long Seq)? SelectClock(long key, int column)
    {
        var stmt = Lazy(ref _selectClock, () => $"SELECT col_version, db_version, site, seq FROM {Clock} WHERE key = ?1 AND cid = ?2");
        stmt.Bind(1, key).BindText(2, column == SentinelColumn ? "-1"u8 : CidUtf8[column]);
        try
        {
            if (!stmt.Step())
            {
                return null;
            }

            return (stmt.GetInt64(0), stmt.GetInt64(1), stmt.IsNull(2) ? null : stmt.GetInt64(2), stmt.GetInt64(3));
        }
        finally
        {
            stmt.Reset();
        }
    }

    /// <summary>Writes the clock of a cell: <paramref name="column"/> is a value column's index, or -1 for the sentinel.</summary>
    public void UpsertClock(long key, int column, long colVersion, long dbVersion, long? site, long seq)
    {
        var stmt = Lazy(ref _upsertClock, () => $"INSERT INTO {Clock} (key, cid, col_version, db_version, site, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key, cid) DO UPDATE SET col_version = excluded.col_version, db_version = excluded.db_version, site = excluded.site, seq = excluded.seq");
        // The cid from its cached UTF-8 bytes: no string transcoding per merged cell.
        stmt.Bind(1, key).BindText(2, column == SentinelColumn ? "-1"u8 : CidUtf8[column]).Bind(3, colVersion).Bind(4, dbVersion);
        if (site is { } s)
        {
            stmt.Bind(5, s);
        }
        else
        {
            stmt.BindNull(5);
        }

        stmt.Bind(6, seq);
        stmt.Run();
    }

    public void DeleteColumnClocks(long key)
    {
        var stmt = Lazy(ref _deleteColumnClocks, () => $"DELETE FROM {Clock} WHERE key = ?1 AND cid <> '-1'");
        stmt.Bind(1, key);
        stmt.Run();
    }

    public bool DeleteRow(IReadOnlyList<SqlValue> pk)
    {
        var stmt = Lazy(ref _deleteRow, () => $"DELETE FROM {Quoted} WHERE {PkWhere(1)}");
        BindPk(stmt, pk, 1);
        stmt.Run();
        return raw.sqlite3_changes(_db) > 0;
    }

    public bool InsertRowIfMissing(IReadOnlyList<SqlValue> pk)
    {
        var stmt = Lazy(ref _insertRow, () => $"INSERT OR IGNORE INTO {Quoted} ({string.Join(", ", PkNames.Select(SchemaLoader.Quote))}) VALUES ({string.Join(", ", PkNames.Select((_, i) => $"?{i + 1}"))})");
        BindPk(stmt, pk, 1);
        stmt.Run();
        return raw.sqlite3_changes(_db) > 0;
    }

    /// <summary>The index of a value column, or -1.</summary>
    public int ValueIndex(string cid)
    {
        for (var i = 0; i < Schema.ValueColumns.Count; i++)
        {
            if (string.Equals(Schema.ValueColumns[i].Name, cid, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private readonly Dictionary<(bool Insert, ulong Mask), NativeStatement> _writeRow = new();

    /// <summary>
    /// Writes the merged cells of one row in one statement: an INSERT of the key and those cells
    /// (the others take their defaults) for a row that does not exist, else an UPDATE of those cells.
    /// Statements are cached per set of columns. At most 64 value columns (see <see cref="CrdtStore"/>).
    /// </summary>
    public void WriteRow(IReadOnlyList<SqlValue> pk, bool insert, SqlValue?[] values)
    {
        ulong mask = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is not null)
            {
                mask |= 1UL << i;
            }
        }

        if (!_writeRow.TryGetValue((insert, mask), out var stmt))
        {
            var columns = Enumerable.Range(0, values.Length).Where(i => (mask & (1UL << i)) != 0).Select(i => SchemaLoader.Quote(Schema.ValueColumns[i].Name)).ToList();
            string sql;
            if (insert)
            {
                var names = PkNames.Select(SchemaLoader.Quote).Concat(columns);
                sql = $"INSERT INTO {Quoted} ({string.Join(", ", names)}) VALUES ({string.Join(", ", names.Select((_, i) => $"?{i + 1}"))})";
            }
            else
            {
                sql = $"UPDATE {Quoted} SET {string.Join(", ", columns.Select((c, i) => $"{c} = ?{PkNames.Count + i + 1}"))} WHERE {PkWhere(1)}";
            }

            stmt = NativeStatement.Prepare(_db, sql);
            _writeRow[(insert, mask)] = stmt;
        }

        BindPk(stmt, pk, 1);
        var index = PkNames.Count + 1;
        foreach (var value in values)
        {
            if (value is { } v)
            {
                stmt.Bind(index++, v);
            }
        }

        stmt.Run();
    }

    public SqlValue SelectValue(string cid, IReadOnlyList<SqlValue> pk)
    {
        if (!_selectValue.TryGetValue(cid, out var stmt))
        {
            stmt = NativeStatement.Prepare(_db, $"SELECT {SchemaLoader.Quote(cid)} FROM {Quoted} WHERE {PkWhere(1)}");
            _selectValue[cid] = stmt;
        }

        BindPk(stmt, pk, 1);
        try
        {
            return stmt.Step() ? stmt.GetValue(0) : SqlValue.Null;
        }
        finally
        {
            stmt.Reset();
        }
    }

    public void UpdateValue(string cid, IReadOnlyList<SqlValue> pk, SqlValue value)
    {
        if (!_updateValue.TryGetValue(cid, out var stmt))
        {
            stmt = NativeStatement.Prepare(_db, $"UPDATE {Quoted} SET {SchemaLoader.Quote(cid)} = ?1 WHERE {PkWhere(2)}");
            _updateValue[cid] = stmt;
        }

        stmt.Bind(1, value);
        BindPk(stmt, pk, 2);
        stmt.Run();
    }

    /// <summary>
    /// The cells this table holds for (site, version), with current values and the row's causal
    /// length; appended to <paramref name="into"/> (unsorted across tables).
    /// </summary>
    public void CollectVersion(long site, long version, ActorId actor, List<Change> into)
    {
        // The version index yields a row's cells together (ordered by key), so the row (key values,
        // causal length, current values) is read once per row rather than joined once per cell.
        var cells = Lazy(ref _versionCells, () => $"SELECT key, cid, col_version, db_version, seq FROM {Clock} WHERE site = ?1 AND db_version = ?2");
        var row = Lazy(ref _versionRow, () =>
        {
            var pkSelect = string.Join(", ", PkNames.Select(p => "p." + SchemaLoader.Quote(p)));
            var values = string.Concat(Schema.ValueColumns.Select(col => ", t." + SchemaLoader.Quote(col.Name)));
            var join = string.Join(" AND ", PkNames.Select(p => $"t.{SchemaLoader.Quote(p)} = p.{SchemaLoader.Quote(p)}"));
            return DirectKey
                ? $"SELECT coalesce(s.col_version, 1), p.key{values} FROM (SELECT ?1 AS key) p LEFT JOIN {Clock} s ON s.key = p.key AND s.cid = '-1' LEFT JOIN {Quoted} t ON t.{SchemaLoader.Quote(PkNames[0])} = p.key"
                : $"SELECT coalesce(s.col_version, 1), {pkSelect}{values} FROM {Pks} p LEFT JOIN {Clock} s ON s.key = p.key AND s.cid = '-1' LEFT JOIN {Quoted} t ON {join} WHERE p.key = ?1";
        });
        var firstValue = 1 + PkNames.Count;
        cells.Bind(1, site).Bind(2, version);
        long? current = null;
        var found = false;
        SqlValue[] pk = [];
        long cl = 0;
        try
        {
            while (cells.Step())
            {
                var key = cells.GetInt64(0);
                if (key != current)
                {
                    row.Reset();
                    current = key;
                    row.Bind(1, key);
                    found = row.Step();
                    if (found)
                    {
                        cl = row.GetInt64(0);
                        pk = new SqlValue[PkNames.Count];
                        for (var i = 0; i < pk.Length; i++)
                        {
                            pk[i] = row.GetValue(1 + i);
                        }
                    }
                }

                if (!found)
                {
                    continue;
                }

                var column = ColumnIndex(cells.GetUtf8(1));
                var (cid, value) = column switch
                {
                    SentinelColumn => (Change.SentinelCid, SqlValue.Null),
                    UnknownColumn => (cells.GetText(1), SqlValue.Null),
                    _ => (Schema.ValueColumns[column].Name, row.GetValue(firstValue + column)),
                };
                into.Add(new Change(Name, pk, cid, value, cells.GetInt64(2), cells.GetInt64(3), actor, cl, cells.GetInt64(4)));
            }
        }
        finally
        {
            cells.Reset();
            row.Reset();
        }
    }

    /// <summary>The value columns' names as UTF-8, by index.</summary>
    private byte[][] CidUtf8 => _cidUtf8 ??= Schema.ValueColumns.Select(c => Encoding.UTF8.GetBytes(c.Name)).ToArray();

    /// <summary>The column index of the sentinel in <see cref="UpsertClock"/>.</summary>
    public const int SentinelColumn = -1;
    private const int UnknownColumn = -2;

    /// <summary>The value column a clock cid names (compared as UTF-8, without decoding a string).</summary>
    private int ColumnIndex(ReadOnlySpan<byte> cid)
    {
        if (cid.SequenceEqual("-1"u8))
        {
            return SentinelColumn;
        }

        var names = CidUtf8;
        for (var i = 0; i < names.Length; i++)
        {
            if (cid.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        return UnknownColumn;
    }

    public void Dispose()
    {
        foreach (var stmt in _selectValue.Values.Concat(_updateValue.Values).Concat(_writeRow.Values))
        {
            stmt.Dispose();
        }

        _findKey?.Dispose();
        _insertKey?.Dispose();
        _selectClock?.Dispose();
        _hasCells?.Dispose();
        _upsertClock?.Dispose();
        _deleteColumnClocks?.Dispose();
        _deleteRow?.Dispose();
        _insertRow?.Dispose();
        _versionCells?.Dispose();
        _versionRow?.Dispose();
    }
}
