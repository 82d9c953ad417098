using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// One replicated table: the DDL of its key map, clock table and triggers, and the prepared
/// statements the merge and change extraction use (prepared once, reused on the hot path).
/// Clock layout 3: one clock row per row (the sentinel's clock and every cell's, in columns), and
/// per version the keys it wrote (<c>__corro_version_keys</c>) instead of an index by version per cell.
/// A local insert into a table that <see cref="BatchesInserts"/> has its clock row written by
/// <see cref="WriteInsertClocks"/>, with the transaction's other inserts, instead of by its trigger's body.
/// </summary>
internal sealed partial class CrrTable : IDisposable
{
    /// <summary>The site ordinal of the local node in clock tables.</summary>
    public const long LocalSite = 0;

    private readonly sqlite3 _db;
    private readonly Dictionary<string, NativeStatement> _selectValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NativeStatement> _updateValue = new(StringComparer.Ordinal);
    private NativeStatement? _findKey;
    private NativeStatement? _insertKey;
    private NativeStatement? _hasCells;
    private NativeStatement? _deleteColumnClocks;
    private NativeStatement? _deleteRow;
    private NativeStatement? _insertRow;
    private NativeStatement? _versionRow;
    private NativeStatement? _writeKeys;
    private NativeStatement? _readKeys;

    public CrrTable(sqlite3 db, TableSchema schema, bool directKey, int id)
    {
        Id = id;
        _db = db;
        Schema = schema;
        DirectKey = directKey;
        Name = schema.Name;
        PkNames = schema.PkColumns.Select(c => c.Name).ToArray();
        ColumnNames = schema.ValueColumns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        Pks = SchemaLoader.Quote(Name + "__corro_pks");
        Clock = SchemaLoader.Quote(Name + "__corro_clock_rows");
        CellView = SchemaLoader.Quote(Name + "__corro_clock");
        Quoted = SchemaLoader.Quote(Name);
    }

    public string Name { get; }

    /// <summary>This table's number among the store's tables: how the triggers name it to <c>corro_touch</c>.</summary>
    public int Id { get; }

    /// <summary>
    /// True when the key is a rowid alias (a single INTEGER PRIMARY KEY): the clock's key is then
    /// the primary key itself and there is no key map (two B-tree inserts fewer per new row).
    /// </summary>
    public bool DirectKey { get; }

    public TableSchema Schema { get; }

    /// <summary>
    /// True when a local insert's clock row is written by <see cref="WriteInsertClocks"/> with those of the
    /// transaction's other inserts instead of by the insert trigger's body (whose WHEN, <c>corro_insert</c>, then
    /// queues the key and answers false): a table keyed by its rowid alias, with value columns.
    /// </summary>
    public bool BatchesInserts => DirectKey && Schema.ValueColumns.Count > 0;

    public IReadOnlyList<string> PkNames { get; }

    public IReadOnlySet<string> ColumnNames { get; }

    private string Pks { get; }

    private string Clock { get; }

    private string CellView { get; }

    private string Quoted { get; }

    /// <summary>
    /// Key map (unless <see cref="DirectKey"/>), the clock table — one row per row: the sentinel's
    /// clock (<c>cl, cl_db, cl_site, cl_seq</c>, NULL when the row has none) and, per value column
    /// <c>c</c>, the cell's clock in <c>c__v, c__d, c__s, c__q</c> (col_version, db_version, site,
    /// seq; NULL when the cell has none) — its missing columns added, and the per-cell view
    /// <c>t__corro_clock(key, cid, col_version, db_version, site, seq)</c> over it (idempotent).
    /// </summary>
    public string TablesDdl()
    {
        var ddl = new StringBuilder();
        if (!DirectKey)
        {
            var pkCols = string.Join(", ", PkNames.Select(SchemaLoader.Quote));
            // Same declared types as the table's key: with differing affinities SQLite cannot use the
            // unique index for the triggers' NEW.pk lookups and would scan the key map per row.
            var pkDefs = string.Join(", ", Schema.PkColumns.Select(c => (SchemaLoader.Quote(c.Name) + " " + c.Type).TrimEnd()));
            ddl.AppendLine(CultureInfo.InvariantCulture, $"CREATE TABLE IF NOT EXISTS {Pks} (key INTEGER PRIMARY KEY, {pkDefs}, UNIQUE ({pkCols}));");
        }

        var cells = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)} INTEGER, {D(c.Name)} INTEGER, {S(c.Name)} INTEGER, {Q(c.Name)} INTEGER"));
        if (!Exists(Name + "__corro_clock_rows"))
        {
            ddl.AppendLine(CultureInfo.InvariantCulture, $"CREATE TABLE {Clock} (key INTEGER PRIMARY KEY, cl INTEGER, cl_db INTEGER, cl_site INTEGER, cl_seq INTEGER{cells});");
        }
        else
        {
            var existing = ClockColumns();
            foreach (var column in Schema.ValueColumns.Where(c => !existing.Contains(c.Name + "__v")))
            {
                foreach (var part in new[] { V(column.Name), D(column.Name), S(column.Name), Q(column.Name) })
                {
                    ddl.AppendLine(CultureInfo.InvariantCulture, $"ALTER TABLE {Clock} ADD COLUMN {part} INTEGER;");
                }
            }
        }

        ddl.AppendLine(CultureInfo.InvariantCulture, $"DROP VIEW IF EXISTS {CellView};");
        var parts = new List<string> { $"SELECT key, '-1' AS cid, cl AS col_version, cl_db AS db_version, cl_site AS site, cl_seq AS seq FROM {Clock} WHERE cl IS NOT NULL" };
        parts.AddRange(Schema.ValueColumns.Select(c => $"SELECT key, {Literal(c.Name)}, {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)} FROM {Clock} WHERE {V(c.Name)} IS NOT NULL"));
        ddl.AppendLine(CultureInfo.InvariantCulture, $"CREATE VIEW {CellView} AS {string.Join(" UNION ALL ", parts)};");
        return ddl.ToString();
    }

    private HashSet<string> ClockColumns()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var stmt = NativeStatement.Prepare(_db, "SELECT name FROM pragma_table_info(?1)");
        stmt.Bind(1, Name + "__corro_clock_rows");
        while (stmt.Step())
        {
            names.Add(stmt.GetText(0));
        }

        stmt.Reset();
        return names;
    }

    // Layout 2's clock: one row per cell, with an index by version.
    private string Layout2Ddl()
    {
        const string clock = "(key INTEGER NOT NULL, cid TEXT NOT NULL, col_version INTEGER NOT NULL, db_version INTEGER NOT NULL, site INTEGER, seq INTEGER NOT NULL, PRIMARY KEY (key, cid)) WITHOUT ROWID";
        return $"""
            CREATE TABLE IF NOT EXISTS {CellView} {clock};
            CREATE INDEX IF NOT EXISTS {SchemaLoader.Quote(Name + "__corro_clock_version")} ON {CellView} (site, db_version);
            """;
    }

    /// <summary>
    /// Steps that bring this table's clocks from layout 1 to layout 2 (run before
    /// <see cref="MigrateFromLayout2"/>, in the schema transaction; nothing to do for a table new to
    /// the database). Rows with value columns lose their causal-length-1 sentinels (cr-sqlite has none:
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
            steps.Add($"DELETE FROM {CellView} WHERE cid = '-1' AND col_version = 1");
        }

        if (DirectKey && Exists(Name + "__corro_pks"))
        {
            var moved = SchemaLoader.Quote(Name + "__corro_clock_layout1");
            // The triggers name the clock table; they are recreated after the migration.
            steps.Add(DropTriggers());
            steps.Add($"ALTER TABLE {CellView} RENAME TO {moved}");
            steps.Add($"DROP INDEX IF EXISTS {SchemaLoader.Quote(Name + "__corro_clock_version")}");
            steps.Add(Layout2Ddl());
            steps.Add($"INSERT INTO {CellView} (key, cid, col_version, db_version, site, seq) SELECT p.{SchemaLoader.Quote(PkNames[0])}, c.cid, c.col_version, c.db_version, c.site, c.seq FROM {moved} c JOIN {Pks} p ON p.key = c.key");
            steps.Add($"DROP TABLE {moved}");
            steps.Add($"DROP TABLE {Pks}");
        }

        return steps;
    }

    /// <summary>
    /// Brings this table's clocks from layout 2 (one row per cell, <c>t__corro_clock</c>, indexed by
    /// version) to layout 3 (one row per row, <c>t__corro_clock_rows</c>; the keys each version
    /// wrote in <c>__corro_version_keys</c>), in the schema transaction; nothing to do for a table
    /// new to the database. <paramref name="exec"/> runs (and logs) a step.
    /// </summary>
    public void MigrateFromLayout2(Action<string> exec)
    {
        if (!Exists(Name + "__corro_clock"))
        {
            return;
        }

        var cellsOf = string.Concat(Schema.ValueColumns.Select(c =>
        {
            var cid = Literal(c.Name);
            return $", max(CASE WHEN cid = {cid} THEN col_version END), max(CASE WHEN cid = {cid} THEN db_version END), max(CASE WHEN cid = {cid} THEN site END), max(CASE WHEN cid = {cid} THEN seq END)";
        }));
        var names = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)}"));
        var cells = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)} INTEGER, {D(c.Name)} INTEGER, {S(c.Name)} INTEGER, {Q(c.Name)} INTEGER"));
        exec(DropTriggers());
        exec($"CREATE TABLE {Clock} (key INTEGER PRIMARY KEY, cl INTEGER, cl_db INTEGER, cl_site INTEGER, cl_seq INTEGER{cells})");
        exec($"INSERT INTO {Clock} (key, cl, cl_db, cl_site, cl_seq{names}) SELECT key, max(CASE WHEN cid = '-1' THEN col_version END), max(CASE WHEN cid = '-1' THEN db_version END), max(CASE WHEN cid = '-1' THEN site END), max(CASE WHEN cid = '-1' THEN seq END){cellsOf} FROM {CellView} GROUP BY key");

        // Each (site, version)'s keys, as one key list per version (placeholder sentinels, without
        // an origin, belong to no version).
        using (var read = NativeStatement.Prepare(_db, $"SELECT DISTINCT site, db_version, key FROM {CellView} WHERE site IS NOT NULL ORDER BY site, db_version, key"))
        {
            var keys = new List<long>();
            (long Site, long Version)? current = null;
            while (read.Step())
            {
                var at = (read.GetInt64(0), read.GetInt64(1));
                if (current is { } c && c != at)
                {
                    WriteVersionKeys(c.Site, c.Version, keys);
                    keys.Clear();
                }

                current = at;
                keys.Add(read.GetInt64(2));
            }

            read.Reset();
            if (current is { } last)
            {
                WriteVersionKeys(last.Site, last.Version, keys);
            }
        }

        exec($"DROP INDEX IF EXISTS {SchemaLoader.Quote(Name + "__corro_clock_version")}");
        exec($"DROP TABLE {CellView}");
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

    // The triggers tell the store which keys this transaction wrote (corro_touch records the key and
    // answers whether the write is local), so it reads back and lists only those rows: no index by
    // version is kept per cell. A table keyed by its rowid alias does it in the trigger's WHEN (the
    // key is NEW's or OLD's); the others after the key map has the key.
    private string Guard(params string[] sources) =>
        DirectKey ? string.Join(" AND ", sources.Select(s => $"corro_touch({Id}, {KeyOf(s)})")) : "corro_local()";

    private string Touch(params string[] sources) =>
        DirectKey ? string.Empty : string.Concat(sources.Select(s => $"SELECT corro_touch({Id}, {KeyOf(s)});\n"));

    // Insert of a key: causal length 1 for a new key, next odd after a delete, + 2 for a REPLACE of a
    // live row that has a sentinel; as in cr-sqlite, a row inserted into a table with value columns
    // has no sentinel (causal length 1 is implied by its cells), so then only a sentinel that exists
    // is raised (a seek, no write for a new row). An insert over a live row (INSERT OR REPLACE, no
    // delete trigger fires without recursive triggers) raises the causal length by 2 when the row
    // has a sentinel — after a delete, in a key-only table, after a key change — and keeps it
    // otherwise; cr-sqlite's insert trigger does the same. The sentinel draws its seq first (a gap
    // when nothing is written, which versions tolerate), then every value column gets col_version + 1
    // in schema order, in one upsert of the row's clock.
    private string InsertBody(string source)
    {
        var key = KeyOf(source);
        var body = new StringBuilder();
        body.AppendLine(EnsureKey(source));
        body.Append(Touch(source));
        if (Schema.ValueColumns.Count == 0)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key, cl, cl_db, cl_site, cl_seq) VALUES ({key}, 1, corro_version(), 0, corro_next_seq()) ON CONFLICT (key) DO UPDATE SET cl = coalesce(cl + 1 + cl % 2, 1), cl_db = excluded.cl_db, cl_site = 0, cl_seq = excluded.cl_seq;");
            return body.ToString();
        }

        body.AppendLine(CultureInfo.InvariantCulture, $"UPDATE {Clock} SET cl = cl + 1 + cl % 2, cl_db = corro_version(), cl_site = 0, cl_seq = corro_next_seq() WHERE key = {key} AND cl IS NOT NULL;");
        var names = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)}"));
        // The version and a block of seqs (one per column, in schema order) from two calls per row
        // instead of two per column: OFFSET 0 keeps SQLite from flattening the subquery, which
        // would call the functions once per use.
        var values = string.Concat(Schema.ValueColumns.Select((_, i) => $", 1, s.v, 0, s.q + {i}"));
        var set = string.Join(", ", Schema.ValueColumns.Select(c => $"{V(c.Name)} = coalesce({V(c.Name)}, 0) + 1, {D(c.Name)} = excluded.{D(c.Name)}, {S(c.Name)} = 0, {Q(c.Name)} = excluded.{Q(c.Name)}"));
        body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key{names}) SELECT {key}{values} FROM (SELECT corro_version() AS v, corro_next_seqs({Schema.ValueColumns.Count}) AS q LIMIT -1 OFFSET 0) s WHERE true ON CONFLICT (key) DO UPDATE SET {set};");
        return body.ToString();
    }

    private NativeStatement? _insertClocks;
    private NativeStatement? _insertClock;
    private NativeStatement? _raiseSentinel;
    private NativeStatement? _clockRowsOf;
    private NativeStatement? _insertNewClock;
    private NativeStatement? _lastClockKey;

    // A key no clock row is above (long.MinValue: no clock row), or null when not known: kept by this table's local
    // writes so that consecutive transactions inserting new keys do not ask SQLite for max(key) each. Local writes only
    // raise it (WriteInsertClocks; KeyWritten for a trigger's write); the store forgets it before anything else may write
    // clock rows (a merge, a user statement on a __corro_ table). Too high is harmless (a rolled-back insert): new keys
    // are then found new by the slower paths.
    private long? _keyCeiling;

    /// <summary>A local write (a trigger's) may have given <paramref name="key"/> a clock row.</summary>
    public void KeyWritten(long key)
    {
        if (_keyCeiling is { } ceiling && key > ceiling)
        {
            _keyCeiling = key;
        }
    }

    /// <summary>Clock rows may be written other than by local writes (a merge): the next insert asks for max(key).</summary>
    public void ForgetKeyCeiling() => _keyCeiling = null;

    /// <summary>
    /// Writes the clock rows of inserted rows (<paramref name="keys"/>, in insert order) as the insert trigger's body
    /// (<see cref="InsertBody"/>) would have, row after row: a sentinel that exists raised (a live row's by 2, a deleted
    /// one's to the next odd number) and drawing its seq first, then every value column's col_version + 1 under
    /// <paramref name="version"/>, seqs in schema order. Keys that are distinct and have no clock row yet (new rows:
    /// above the table's last clock key, or found absent by one read over all of them) are written by one INSERT;
    /// otherwise row by row. Seqs come from <c>corro_next_seqs</c> / <c>corro_next_seq</c>.
    /// </summary>
    /// <returns>
    /// When every key was new (one INSERT): the first seq, the row at index i having the seqs from first + i × (value
    /// columns) on, one per column in schema order, col_version 1 and no sentinel. Null when some were written row by row.
    /// </returns>
    public long? WriteInsertClocks(ReadOnlySpan<(int Table, long Key, int ValueAt)> keys, long version, System.Buffers.ArrayBufferWriter<byte> text, Func<int, long> drawSeqs)
    {
        var increasing = true;
        for (var i = 1; i < keys.Length && increasing; i++)
        {
            increasing = keys[i].Key > keys[i - 1].Key;
        }

        var columns = Schema.ValueColumns.Count;
        if (keys.Length > 1)
        {
            KeysAsJson(keys, text);
        }

        // Increasing keys above the table's last clock key are all new. (Asked apart: an INSERT … SELECT whose condition
        // reads the clock table goes through a temporary table, a cost per row.)
        if (_keyCeiling is null)
        {
            var last = Lazy(ref _lastClockKey, () => $"SELECT max(key) FROM {Clock}");
            try
            {
                _keyCeiling = last.Step() && !last.IsNull(0) ? last.GetInt64(0) : long.MinValue;
            }
            finally
            {
                last.Reset();
            }
        }

        var highest = long.MinValue;
        foreach (var (_, key, _) in keys)
        {
            highest = Math.Max(highest, key);
        }

        var ceiling = _keyCeiling.Value;
        if (increasing && keys[0].Key > ceiling)
        {
            var seq = drawSeqs(keys.Length * columns);
            var fresh = keys.Length == 1
                ? Lazy(ref _insertNewClock, InsertClockSql).Bind(1, keys[0].Key)
                : Lazy(ref _insertClocks, () => InsertClocksSql("json_each(?1)", upsert: false)).BindText(1, text.WrittenSpan);
            fresh.Bind(2, version).Bind(3, seq).Run();
            KeyWritten(highest);
            return seq;
        }

        try
        {
            return WriteInsertClocksSlowly(keys, version, text, drawSeqs, increasing);
        }
        finally
        {
            KeyWritten(highest);
        }
    }

    // WriteInsertClocks when some key may have a clock row already.
    private long? WriteInsertClocksSlowly(ReadOnlySpan<(int Table, long Key, int ValueAt)> keys, long version, System.Buffers.ArrayBufferWriter<byte> text, Func<int, long> drawSeqs, bool increasing)
    {
        var columns = Schema.ValueColumns.Count;
        if (keys.Length == 1)
        {
            RaiseSentinel(keys[0].Key, version);
            var one = Lazy(ref _insertClock, () => InsertClocksSql("(SELECT ?1 AS value, 0 AS key)", upsert: true));
            one.Bind(1, keys[0].Key).Bind(2, version).Bind(3, drawSeqs(columns)).Run();
            return null;
        }

        // Distinct keys none of which has a clock row (found by one read over all of them) are new too.
        if (increasing || Distinct(keys))
        {
            var present = Lazy(ref _clockRowsOf, () => $"SELECT count(*) FROM json_each(?1) j JOIN {Clock} c ON c.key = j.value");
            present.BindText(1, text.WrittenSpan);
            bool none;
            try
            {
                none = present.Step() && present.GetInt64(0) == 0;
            }
            finally
            {
                present.Reset();
            }

            if (none)
            {
                var stmt = Lazy(ref _insertClocks, () => InsertClocksSql("json_each(?1)", upsert: false));
                var first = drawSeqs(keys.Length * columns);
                stmt.BindText(1, text.WrittenSpan).Bind(2, version).Bind(3, first).Run();
                return first;
            }
        }

        foreach (var (_, key, _) in keys)
        {
            WriteInsertClocks([(Id, key, 0)], version, text, drawSeqs);
        }

        return null;
    }

    /// <summary>
    /// The changes of a row <see cref="WriteInsertClocks"/> wrote new (its values from <paramref name="values"/> at
    /// <paramref name="at"/>, one per value column in schema order, as the insert trigger passed them), appended to
    /// <paramref name="into"/>: what <see cref="CollectKeys"/> would read back.
    /// </summary>
    public void AddInserted(long key, List<SqlValue> values, int at, long firstSeq, long version, ActorId actor, List<Change> into)
    {
        var pk = new[] { SqlValue.FromInteger(key) };
        var columns = Schema.ValueColumns;
        for (var i = 0; i < columns.Count; i++)
        {
            into.Add(new Change(Name, pk, columns[i].Name, values[at + i], 1, version, actor, 1, firstSeq + i));
        }
    }

    private static bool Distinct(ReadOnlySpan<(int Table, long Key, int ValueAt)> keys)
    {
        var sorted = new long[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            sorted[i] = keys[i].Key;
        }

        Array.Sort(sorted);
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] == sorted[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    private void RaiseSentinel(long key, long version)
    {
        var stmt = Lazy(ref _raiseSentinel, () => $"UPDATE {Clock} SET cl = cl + 1 + cl % 2, cl_db = ?2, cl_site = 0, cl_seq = corro_next_seq() WHERE key = ?1 AND cl IS NOT NULL");
        stmt.Bind(1, key).Bind(2, version).Run();
    }

    /// <summary>The keys as a JSON array (for <c>json_each</c>, whose <c>key</c> is then the index).</summary>
    private static void KeysAsJson(ReadOnlySpan<(int Table, long Key, int ValueAt)> keys, System.Buffers.ArrayBufferWriter<byte> text)
    {
        text.Clear();
        text.GetSpan(1)[0] = (byte)'[';
        text.Advance(1);
        for (var i = 0; i < keys.Length; i++)
        {
            var span = text.GetSpan(21);
            var at = 0;
            if (i > 0)
            {
                span[at++] = (byte)',';
            }

            keys[i].Key.TryFormat(span[at..], out var written, default, CultureInfo.InvariantCulture);
            text.Advance(at + written);
        }

        text.GetSpan(1)[0] = (byte)']';
        text.Advance(1);
    }

    // The cells' clocks of the rows of `source` (value: the key, key: its index), seqs from ?3 on (columns per row);
    // as an upsert, the trigger's own (a key that has a clock row gets col_version + 1).
    private string InsertClocksSql(string source, bool upsert)
    {
        var count = Schema.ValueColumns.Count;
        var names = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)}"));
        var values = string.Concat(Schema.ValueColumns.Select((_, i) => $", 1, ?2, 0, ?3 + j.key * {count} + {i}"));
        var set = string.Join(", ", Schema.ValueColumns.Select(c => $"{V(c.Name)} = coalesce({V(c.Name)}, 0) + 1, {D(c.Name)} = excluded.{D(c.Name)}, {S(c.Name)} = 0, {Q(c.Name)} = excluded.{Q(c.Name)}"));
        var conflict = upsert ? $" WHERE true ON CONFLICT (key) DO UPDATE SET {set}" : string.Empty;
        return $"INSERT INTO {Clock} (key{names}) SELECT j.value{values} FROM {source} j{conflict}";
    }

    // One new row's clock (key ?1, version ?2, seqs from ?3 on), as InsertClocksSql without an upsert. A single-row
    // VALUES, not INSERT … SELECT: SQLite opens a statement journal (a savepoint, and a copy of the clock table's page it
    // writes) for a statement that may write several rows, which an INSERT … SELECT is.
    private string InsertClockSql()
    {
        var names = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)}"));
        var values = string.Concat(Schema.ValueColumns.Select((_, i) => $", 1, ?2, 0, ?3 + {i}"));
        return $"INSERT INTO {Clock} (key{names}) VALUES (?1{values})";
    }

    // Update without a key change: the columns whose value changed get col_version + 1, in schema
    // order, in one upsert of the row's clock.
    private string UpdateBody()
    {
        if (Schema.ValueColumns.Count == 0)
        {
            return "SELECT 1;\n";
        }

        var key = KeyOf("NEW");
        var flags = string.Join(", ", Schema.ValueColumns.Select((c, i) => $"{ValueChanged(c.Name)} AS c{i}"));
        var names = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)}"));
        var values = string.Concat(Schema.ValueColumns.Select((_, i) => $", CASE WHEN f.c{i} THEN 1 END, CASE WHEN f.c{i} THEN corro_version() END, CASE WHEN f.c{i} THEN 0 END, CASE WHEN f.c{i} THEN corro_next_seq() END"));
        var any = string.Join(" OR ", Schema.ValueColumns.Select((_, i) => $"f.c{i}"));
        var set = string.Join(", ", Schema.ValueColumns.Select(c => $"{V(c.Name)} = CASE WHEN excluded.{V(c.Name)} IS NULL THEN {V(c.Name)} ELSE coalesce({V(c.Name)}, 0) + 1 END, {D(c.Name)} = coalesce(excluded.{D(c.Name)}, {D(c.Name)}), {S(c.Name)} = CASE WHEN excluded.{V(c.Name)} IS NULL THEN {S(c.Name)} ELSE 0 END, {Q(c.Name)} = coalesce(excluded.{Q(c.Name)}, {Q(c.Name)})"));
        var body = new StringBuilder();
        body.Append(Touch("NEW"));
        body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key{names}) SELECT {key}{values} FROM (SELECT {flags}) f WHERE {any} ON CONFLICT (key) DO UPDATE SET {set};");
        return body.ToString();
    }

    // A primary-key change: the new key gets the old key's column versions, + 1 for columns the
    // same UPDATE changes (cr-sqlite moves the column clocks, so a moved cell keeps beating a
    // concurrent write of lower col_version), under this version so peers that already have the
    // old one still receive them, and a sentinel of its own; then the old key is deleted.
    private string KeyChangeBody()
    {
        var body = new StringBuilder();
        body.AppendLine(EnsureKey("NEW"));
        body.Append(Touch("NEW", "OLD"));
        if (Schema.ValueColumns.Count > 0)
        {
            // Only the cells the old key has move; seqs follow the schema's column order.
            var names = string.Concat(Schema.ValueColumns.Select(c => $", {V(c.Name)}, {D(c.Name)}, {S(c.Name)}, {Q(c.Name)}"));
            var values = string.Concat(Schema.ValueColumns.Select(c =>
            {
                var has = $"o.{V(c.Name)} IS NOT NULL";
                return $", o.{V(c.Name)} + {ValueChanged(c.Name)}, CASE WHEN {has} THEN corro_version() END, CASE WHEN {has} THEN 0 END, CASE WHEN {has} THEN corro_next_seq() END";
            }));
            var set = string.Join(", ", Schema.ValueColumns.Select(c => $"{V(c.Name)} = coalesce(excluded.{V(c.Name)}, {V(c.Name)}), {D(c.Name)} = coalesce(excluded.{D(c.Name)}, {D(c.Name)}), {S(c.Name)} = CASE WHEN excluded.{V(c.Name)} IS NULL THEN {S(c.Name)} ELSE 0 END, {Q(c.Name)} = coalesce(excluded.{Q(c.Name)}, {Q(c.Name)})"));
            body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key{names}) SELECT {KeyOf("NEW")}{values} FROM {Clock} o WHERE o.key = {KeyOf("OLD")} ON CONFLICT (key) DO UPDATE SET {set};");
        }

        // The sentinel after the cells, as cr-sqlite's changes list them (the moved cells keep
        // older versions there): a peer creates the row from the cells and, as in cr-sqlite,
        // ignores a sentinel of the same causal length, so only this node's row has a sentinel.
        body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key, cl, cl_db, cl_site, cl_seq) VALUES ({KeyOf("NEW")}, 1, corro_version(), 0, corro_next_seq()) ON CONFLICT (key) DO UPDATE SET cl = coalesce(cl + 1 + cl % 2, 1), cl_db = excluded.cl_db, cl_site = 0, cl_seq = excluded.cl_seq;");
        body.Append(DeleteBody("OLD", touch: false));
        return body.ToString();
    }

    // Delete: next even causal length (a row without a sentinel has causal length 1), column clocks go.
    private string DeleteBody(string source, bool touch = true)
    {
        var key = KeyOf(source);
        var body = new StringBuilder();
        body.AppendLine(EnsureKey(source));
        if (touch)
        {
            body.Append(Touch(source));
        }

        body.AppendLine(CultureInfo.InvariantCulture, $"INSERT INTO {Clock} (key, cl, cl_db, cl_site, cl_seq) VALUES ({key}, 2, corro_version(), 0, corro_next_seq()) ON CONFLICT (key) DO UPDATE SET cl = coalesce(cl, 1) + 1, cl_db = excluded.cl_db, cl_site = 0, cl_seq = excluded.cl_seq WHERE coalesce(cl, 1) % 2 = 1;");
        if (Schema.ValueColumns.Count > 0)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"UPDATE {Clock} SET {ClearCells} WHERE key = {key} AND ({AnyCell});");
        }

        return body.ToString();
    }

    private string ClearCells => string.Join(", ", Schema.ValueColumns.Select(c => $"{V(c.Name)} = NULL, {D(c.Name)} = NULL, {S(c.Name)} = NULL, {Q(c.Name)} = NULL"));

    private string AnyCell => Schema.ValueColumns.Count == 0 ? "0" : string.Join(" OR ", Schema.ValueColumns.Select(c => $"{V(c.Name)} IS NOT NULL"));

    /// <summary>The triggers (dropped and recreated at every start, so they follow added columns).</summary>
    /// <param name="batchInserts">
    /// The store batches its local inserts' clock rows (<see cref="CrdtStore.BatchInserts"/>): then the insert trigger
    /// of a table that <see cref="BatchesInserts"/> has an empty body (its WHEN, <c>corro_insert</c>, is false for a
    /// local write and fails on any other connection), as SQLite sets up a frame of the body's size for every row.
    /// </param>
    public string TriggersDdl(bool batchInserts = true)
    {
        var prefix = Name + "__corro_";
        var pkChanged = string.Join(" OR ", PkNames.Select(p => $"OLD.{SchemaLoader.Quote(p)} IS NOT NEW.{SchemaLoader.Quote(p)}"));
        return $"""
            {DropTriggers()}
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "insert")} AFTER INSERT ON {Quoted} WHEN {(BatchesInserts ? $"corro_insert({Id}, {KeyOf("NEW")}{InsertedValues})" : Guard("NEW"))} BEGIN
            {(BatchesInserts && batchInserts ? "SELECT 1;\n" : InsertBody("NEW"))}END;
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "update")} AFTER UPDATE ON {Quoted} WHEN {Guard("NEW")} AND NOT ({pkChanged}) BEGIN
            {UpdateBody()}END;
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "update_pk")} AFTER UPDATE ON {Quoted} WHEN {Guard("NEW", "OLD")} AND ({pkChanged}) BEGIN
            {KeyChangeBody()}END;
            CREATE TRIGGER {SchemaLoader.Quote(prefix + "delete")} AFTER DELETE ON {Quoted} WHEN {Guard("OLD")} BEGIN
            {DeleteBody("OLD")}END;
            """;
    }

    // "Did this column change" must be the merge's value equality (SqlValue.Equals: same storage
    // class, same bytes), not SQLite's: `IS` calls INTEGER 3 and REAL 3.0 equal and compares text
    // with the column's collation, and 0.0 = -0.0. A write that changed only one of those would
    // keep its old clock, and the peers — who merge by the total order — would never hear of it
    // (the chaos run with seed 15 ended with REAL 3.0 on one node, INTEGER 3 elsewhere, under
    // identical clocks). NaN needs no case: SQLite stores it as NULL.
    // corro_insert's arguments after the key: NEW's value columns, in schema order (CrdtStore.FnInsert keeps them).
    private string InsertedValues => string.Concat(Schema.ValueColumns.Select(c => ", NEW." + SchemaLoader.Quote(c.Name)));

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

    /// <summary>True when <paramref name="name"/> is one of the CRR triggers' names.</summary>
    public static bool IsTriggerName(string name) =>
        TriggerKinds.Any(t => name.EndsWith("__corro_" + t, StringComparison.Ordinal));

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    // The clock columns of a value column: col_version, db_version, site ordinal, seq. Distinct
    // names always differ in these (same suffix length, different suffixes).
    private static string V(string column) => SchemaLoader.Quote(column + "__v");

    private static string D(string column) => SchemaLoader.Quote(column + "__d");

    private static string S(string column) => SchemaLoader.Quote(column + "__s");

    private static string Q(string column) => SchemaLoader.Quote(column + "__q");

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
    /// no clocks at all. One seek.
    /// </summary>
    public (long ColVersion, long DbVersion, long? Site, long Seq)? SelectRowClock(long key, (long ColVersion, long DbVersion, long? Site, long Seq) noSentinel)
    {
        var stmt = Lazy(ref _hasCells, () => $"SELECT cl, cl_db, cl_site, cl_seq, {AnyCell} FROM {Clock} WHERE key = ?1");
        stmt.Bind(1, key);
        try
        {
            if (!stmt.Step())
            {
                return null;
            }

            if (stmt.IsNull(0))
            {
                return stmt.GetInt64(4) != 0 ? noSentinel : null;
            }

            return (stmt.GetInt64(0), stmt.GetInt64(1), stmt.IsNull(2) ? null : stmt.GetInt64(2), stmt.GetInt64(3));
        }
        finally
        {
            stmt.Reset();
        }
    }

    private NativeStatement[]? _selectClock;
    private NativeStatement[]? _upsertClock;

    private NativeStatement ClockStatement(ref NativeStatement[]? slots, int column, Func<string, string, string, string, string> sql)
    {
        slots ??= new NativeStatement[Schema.ValueColumns.Count + 1];
        ref var slot = ref slots[column + 1];
        if (slot is null)
        {
            slot = column == SentinelColumn
                ? NativeStatement.Prepare(_db, sql("cl", "cl_db", "cl_site", "cl_seq"))
                : NativeStatement.Prepare(_db, sql(V(Schema.ValueColumns[column].Name), D(Schema.ValueColumns[column].Name), S(Schema.ValueColumns[column].Name), Q(Schema.ValueColumns[column].Name)));
        }

        return slot;
    }

    /// <summary>The clock of one cell: (col_version, db_version, site ordinal or null, seq), or null when absent.</summary>
    public (long ColVersion, long DbVersion, long? Site, long Seq)? SelectClock(long key, int column)
    {
        var stmt = ClockStatement(ref _selectClock, column, (v, d, s, q) => $"SELECT {v}, {d}, {s}, {q} FROM {Clock} WHERE key = ?1");
        stmt.Bind(1, key);
        try
        {
            if (!stmt.Step() || stmt.IsNull(0))
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
        var stmt = ClockStatement(ref _upsertClock, column, (v, d, s, q) => $"INSERT INTO {Clock} (key, {v}, {d}, {s}, {q}) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET {v} = excluded.{v}, {d} = excluded.{d}, {s} = excluded.{s}, {q} = excluded.{q}");
        stmt.Bind(1, key).Bind(2, colVersion).Bind(3, dbVersion);
        if (site is { } s)
        {
            stmt.Bind(4, s);
        }
        else
        {
            stmt.BindNull(4);
        }

        stmt.Bind(5, seq);
        stmt.Run();
    }

    public void DeleteColumnClocks(long key)
    {
        if (Schema.ValueColumns.Count == 0)
        {
            return;
        }

        var stmt = Lazy(ref _deleteColumnClocks, () => $"UPDATE {Clock} SET {ClearCells} WHERE key = ?1");
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
    /// Records that (site, version) wrote cells of these keys (one row of
    /// <c>__corro_version_keys</c>; <see cref="CollectVersion"/> reads them back).
    /// </summary>
    public void WriteVersionKeys(long site, long version, IReadOnlyList<long> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var blob = new byte[keys.Count * 8];
        for (var i = 0; i < keys.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(blob.AsSpan(i * 8), keys[i]);
        }

        var stmt = Lazy(ref _writeKeys, () => "INSERT INTO __corro_version_keys (site, db_version, tbl, part, keys) VALUES (?1, ?2, ?3, (SELECT coalesce(max(part) + 1, 0) FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2 AND tbl = ?3), ?4)");
        stmt.Bind(1, site).Bind(2, version).Bind(3, Name).BindBlob(4, blob).Run();
    }

    /// <summary>
    /// The cells this table holds for (site, version), with current values and the row's causal
    /// length; appended to <paramref name="into"/> (unsorted across tables). The rows are those the
    /// version's key lists name: its rows of <c>__corro_version_keys</c> and
    /// <paramref name="inVersionRow"/> (this table's list from the version's <c>__corro_versions</c> row).
    /// </summary>
    public void CollectVersion(long site, long version, ActorId actor, List<Change> into, List<long>? inVersionRow = null)
    {
        var read = Lazy(ref _readKeys, () => "SELECT keys FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2 AND tbl = ?3");
        read.Bind(1, site).Bind(2, version).Bind(3, Name);
        var keys = inVersionRow is null ? new List<long>() : new List<long>(inVersionRow);
        try
        {
            while (read.Step())
            {
                var blob = read.GetUtf8(0);
                for (var i = 0; i + 8 <= blob.Length; i += 8)
                {
                    keys.Add(BinaryPrimitives.ReadInt64BigEndian(blob[i..]));
                }
            }
        }
        finally
        {
            read.Reset();
        }

        if (keys.Count == 0)
        {
            return;
        }

        keys.Sort();
        CollectKeys(keys, site, version, actor, into, null);
    }

    /// <summary>
    /// The cells of (site, version) in the rows of <paramref name="keys"/> (sorted; duplicates are
    /// skipped), appended to <paramref name="into"/>; the keys that had one go to
    /// <paramref name="withCells"/>.
    /// </summary>
    public void CollectKeys(List<long> keys, long site, long version, ActorId actor, List<Change> into, List<long>? withCells)
    {
        if (keys.Count == 0)
        {
            return;
        }

        // Dense keys (a bulk insert's, typically) are read with one range scan instead of one
        // bind-step-reset per row; the rows of the range not in the list are skipped.
        var distinct = 1;
        for (var i = 1; i < keys.Count; i++)
        {
            distinct += keys[i] != keys[i - 1] ? 1 : 0;
        }

        var (low, high) = (keys[0], keys[^1]);
        if (distinct >= RangeReadMinimum && (ulong)(high - low) < 2UL * (ulong)distinct)
        {
            var range = Lazy(ref _versionRange, () => VersionRowSql("c.key BETWEEN ?1 AND ?2 ORDER BY c.key"));
            range.Bind(1, low).Bind(2, high);
            try
            {
                var next = 0;
                while (range.Step())
                {
                    var key = range.GetInt64(KeyColumn);
                    while (next < keys.Count && keys[next] < key)
                    {
                        next++;
                    }

                    if (next < keys.Count && keys[next] == key)
                    {
                        ReadVersionRow(range, key, site, version, actor, into, withCells);
                    }
                }
            }
            finally
            {
                range.Reset();
            }

            return;
        }

        // One statement per row: its clock, its key values and its current values.
        var row = Lazy(ref _versionRow, () => VersionRowSql("c.key = ?1"));
        long? previous = null;
        foreach (var key in keys)
        {
            if (key == previous)
            {
                continue;
            }

            previous = key;
            row.Bind(1, key);
            try
            {
                if (row.Step())
                {
                    ReadVersionRow(row, key, site, version, actor, into, withCells);
                }
            }
            finally
            {
                row.Reset();
            }
        }
    }

    // Below this many keys a range scan saves nothing over the per-row statement.
    private const int RangeReadMinimum = 4;

    private NativeStatement? _versionRange;

    // The clock key's column in VersionRowSql's rows: after the sentinel's and each cell's four clock columns.
    private int KeyColumn => 4 + 4 * Schema.ValueColumns.Count + PkNames.Count + Schema.ValueColumns.Count;

    private string VersionRowSql(string where)
    {
        var pkSelect = string.Join(", ", PkNames.Select(p => "p." + SchemaLoader.Quote(p)));
        var clocks = string.Concat(Schema.ValueColumns.Select(c => $", c.{V(c.Name)}, c.{D(c.Name)}, c.{S(c.Name)}, c.{Q(c.Name)}"));
        var values = string.Concat(Schema.ValueColumns.Select(col => ", t." + SchemaLoader.Quote(col.Name)));
        var join = string.Join(" AND ", PkNames.Select(p => $"t.{SchemaLoader.Quote(p)} = p.{SchemaLoader.Quote(p)}"));
        return DirectKey
            ? $"SELECT c.cl, c.cl_db, c.cl_site, c.cl_seq{clocks}, c.key{values}, c.key FROM {Clock} c LEFT JOIN {Quoted} t ON t.{SchemaLoader.Quote(PkNames[0])} = c.key WHERE {where}"
            : $"SELECT c.cl, c.cl_db, c.cl_site, c.cl_seq{clocks}, {pkSelect}{values}, c.key FROM {Clock} c JOIN {Pks} p ON p.key = c.key LEFT JOIN {Quoted} t ON {join} WHERE {where}";
    }

    /// <summary>The cells of (site, version) in the current row of <paramref name="row"/> (a <see cref="VersionRowSql"/> statement).</summary>
    private void ReadVersionRow(NativeStatement row, long key, long site, long version, ActorId actor, List<Change> into, List<long>? withCells)
    {
        var columns = Schema.ValueColumns.Count;
        var firstPk = 4 + 4 * columns;
        var firstValue = firstPk + PkNames.Count;
        SqlValue[]? pk = null;
        var rowCl = row.IsNull(0) ? 1 : row.GetInt64(0);
        var found = false;
        for (var column = -1; column < columns; column++)
        {
            var at = 4 + 4 * column;
            if (row.IsNull(at) || row.IsNull(at + 2) || row.GetInt64(at + 2) != site || row.GetInt64(at + 1) != version)
            {
                continue;
            }

            if (pk is null)
            {
                pk = new SqlValue[PkNames.Count];
                for (var i = 0; i < pk.Length; i++)
                {
                    pk[i] = row.GetValue(firstPk + i);
                }
            }

            found = true;
            var (cid, value) = column == SentinelColumn
                ? (Change.SentinelCid, SqlValue.Null)
                : (Schema.ValueColumns[column].Name, row.GetValue(firstValue + column));
            into.Add(new Change(Name, pk, cid, value, row.GetInt64(at), version, actor, rowCl, row.GetInt64(at + 3)));
        }

        if (found)
        {
            withCells?.Add(key);
        }
    }

    /// <summary>The column index of the sentinel in <see cref="UpsertClock"/>.</summary>
    public const int SentinelColumn = -1;

    public void Dispose()
    {
        foreach (var stmt in _selectValue.Values.Concat(_updateValue.Values).Concat(_writeRow.Values))
        {
            stmt.Dispose();
        }

        foreach (var stmt in (_selectClock ?? []).Concat(_upsertClock ?? []))
        {
            stmt?.Dispose();
        }

        _findKey?.Dispose();
        _insertKey?.Dispose();
        _hasCells?.Dispose();
        _deleteColumnClocks?.Dispose();
        _deleteRow?.Dispose();
        _insertRow?.Dispose();
        _versionRow?.Dispose();
        _versionRange?.Dispose();
        _writeKeys?.Dispose();
        _readKeys?.Dispose();
        _insertClocks?.Dispose();
        _insertClock?.Dispose();
        _raiseSentinel?.Dispose();
        _clockRowsOf?.Dispose();
        _insertNewClock?.Dispose();
        _lastClockKey?.Dispose();
        DisposeHookStatements();
    }
}
