using System.Text;
using System.Text.RegularExpressions;

namespace Corrosion.Agent.Storage;

/// <summary>
/// Local writes captured by the pre-update hook (<see cref="CrdtStore"/> with triggers off on the writer): the
/// triggers' bodies as plain statements whose <c>NEW.c</c> / <c>OLD.c</c> are parameters, run after the user's
/// statement with the values the hook read, in the order its rows were written. Same SQL, same clocks, same seqs.
/// </summary>
internal sealed partial class CrrTable
{
    private int[]? _valueColumnAt;
    private int[]? _pkColumnAt;
    private int _columnCount;
    private HookBody? _hookInsert;
    private HookBody? _hookUpdate;
    private HookBody? _hookKeyChange;
    private HookBody? _hookDelete;
    private HookBody? _pkChanged;
    private byte[]? _nameUtf8;

    /// <summary>The table's name in UTF-8, as the pre-update hook names it.</summary>
    public byte[] NameUtf8 => _nameUtf8 ??= Encoding.UTF8.GetBytes(Name);

    /// <summary>Every column's position in the row the pre-update hook sees (<c>pragma table_xinfo</c>'s order).</summary>
    private void LoadColumnPositions()
    {
        if (_valueColumnAt is not null)
        {
            return;
        }

        var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        using (var stmt = NativeStatement.Prepare(_db, "SELECT name FROM pragma_table_xinfo(?1)"))
        {
            stmt.Bind(1, Name);
            while (stmt.Step())
            {
                positions[stmt.GetText(0)] = positions.Count;
            }

            stmt.Reset();
        }

        _columnCount = positions.Count;
        _pkColumnAt = Schema.PkColumns.Select(c => positions[c.Name]).ToArray();
        _valueColumnAt = Schema.ValueColumns.Select(c => positions[c.Name]).ToArray();
    }

    /// <summary>The number of columns of a row as the pre-update hook sees it.</summary>
    public int HookColumnCount
    {
        get
        {
            LoadColumnPositions();
            return _columnCount;
        }
    }

    /// <summary>The hook-row position of each value column, in schema order.</summary>
    public int[] ValueColumnPositions
    {
        get
        {
            LoadColumnPositions();
            return _valueColumnAt!;
        }
    }

    /// <summary>
    /// Runs the insert trigger's body for a row whose values (hook positions) start at <paramref name="at"/>; the
    /// caller has touched its key (a table keyed by its rowid alias), as the trigger's WHEN would.
    /// </summary>
    public void HookInsert(List<SqlValue> values, int at) =>
        (_hookInsert ??= HookBody.Of(this, InsertBody("NEW"))).Run(values, -1, at);

    /// <summary>The update trigger's body (no key change).</summary>
    public void HookUpdate(List<SqlValue> values, int oldAt, int newAt) =>
        (_hookUpdate ??= HookBody.Of(this, UpdateBody())).Run(values, oldAt, newAt);

    /// <summary>The key-change trigger's body.</summary>
    public void HookKeyChange(List<SqlValue> values, int oldAt, int newAt) =>
        (_hookKeyChange ??= HookBody.Of(this, KeyChangeBody())).Run(values, oldAt, newAt);

    /// <summary>The delete trigger's body.</summary>
    public void HookDelete(List<SqlValue> values, int oldAt) =>
        (_hookDelete ??= HookBody.Of(this, DeleteBody("OLD"))).Run(values, oldAt, -1);

    /// <summary>
    /// Whether an update changed the primary key, as the update triggers' WHEN (<c>OLD.pk IS NOT NEW.pk</c>, which
    /// follows the column's collation and calls INTEGER 3 and REAL 3.0 equal): identical values did not; others are
    /// asked of SQLite.
    /// </summary>
    public bool KeyChanged(List<SqlValue> values, int oldAt, int newAt)
    {
        LoadColumnPositions();
        var identical = true;
        foreach (var at in _pkColumnAt!)
        {
            identical &= values[oldAt + at].Equals(values[newAt + at]);
        }

        if (identical)
        {
            return false;
        }

        // Bound values have no collation: the column's is named (the triggers' OLD.pk and NEW.pk carry it).
        var sql = "SELECT " + string.Join(" OR ", PkNames.Select(p => $"OLD.{SchemaLoader.Quote(p)} IS NOT NEW.{SchemaLoader.Quote(p)} COLLATE {SchemaLoader.Quote(CollationOf(p))}"));
        var (stmt, plan) = (_pkChanged ??= HookBody.Of(this, sql)).Statements[0];
        HookBody.BindPlan(stmt, plan, values, oldAt, newAt);
        try
        {
            return stmt.Step() && stmt.GetInt64(0) != 0;
        }
        finally
        {
            stmt.Reset();
        }
    }

    private string CollationOf(string column)
    {
        var rc = SQLitePCL.raw.sqlite3_table_column_metadata(_db, "main", Name, column, out _, out var collation, out _, out _, out _);
        return rc == SQLitePCL.raw.SQLITE_OK && !string.IsNullOrEmpty(collation) ? collation : "BINARY";
    }

    private void DisposeHookStatements()
    {
        _hookInsert?.Dispose();
        _hookUpdate?.Dispose();
        _hookKeyChange?.Dispose();
        _hookDelete?.Dispose();
        _pkChanged?.Dispose();
    }

    /// <summary>A trigger body as statements, each with the (slot, old or new, hook position) of its parameters.</summary>
    private sealed partial class HookBody : IDisposable
    {
        public List<(NativeStatement Statement, (int Slot, bool New, int At)[] Plan)> Statements { get; } = new();

        [GeneratedRegex("""(?<![\w"])(NEW|OLD)\.("(?:[^"]|"")*")""")]
        private static partial Regex RowReference();

        public static HookBody Of(CrrTable table, string body)
        {
            table.LoadColumnPositions();
            var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < table.PkNames.Count; i++)
            {
                positions[table.PkNames[i]] = table._pkColumnAt![i];
            }

            for (var i = 0; i < table.Schema.ValueColumns.Count; i++)
            {
                positions[table.Schema.ValueColumns[i].Name] = table._valueColumnAt![i];
            }

            var sql = RowReference().Replace(body, m =>
            {
                var quoted = m.Groups[2].Value;
                var name = quoted[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
                return $":{(m.Groups[1].Value == "NEW" ? "n" : "o")}{positions[name]}";
            });
            var result = new HookBody();
            try
            {
                var rest = sql;
                while (!NativeStatement.IsOnlyComments(rest))
                {
                    var stmt = NativeStatement.PrepareNext(table._db, rest, out rest);
                    if (stmt is null)
                    {
                        break;
                    }

                    result.Statements.Add((stmt, PlanOf(table, stmt)));
                }
            }
            catch
            {
                result.Dispose();
                throw;
            }

            return result;
        }

        public static (int Slot, bool New, int At)[] PlanOf(CrrTable table, NativeStatement stmt)
        {
            var plan = new (int, bool, int)[stmt.ParameterCount];
            for (var slot = 1; slot <= plan.Length; slot++)
            {
                var name = stmt.ParameterName(slot) ?? throw new InvalidOperationException($"table {table.Name}: an anonymous parameter in a trigger body");
                plan[slot - 1] = (slot, name[1] == 'n', int.Parse(name.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture));
            }

            return plan;
        }

        public static void BindPlan(NativeStatement stmt, (int Slot, bool New, int At)[] plan, List<SqlValue> values, int oldAt, int newAt)
        {
            foreach (var (slot, isNew, at) in plan)
            {
                stmt.Bind(slot, values[(isNew ? newAt : oldAt) + at]);
            }
        }

        public void Run(List<SqlValue> values, int oldAt, int newAt)
        {
            foreach (var (stmt, plan) in Statements)
            {
                BindPlan(stmt, plan, values, oldAt, newAt);
                stmt.Run();
            }
        }

        public void Dispose()
        {
            foreach (var (stmt, _) in Statements)
            {
                stmt.Dispose();
            }
        }
    }
}
