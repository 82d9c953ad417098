using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// Reads schema files, validates them against the CRR rules by creating them in a scratch
/// in-memory database and asking SQLite (pragmas), and plans the additive migration of an
/// existing database. Plans are computed before anything is written, so a refused schema leaves
/// the database untouched.
/// </summary>
internal static partial class SchemaLoader
{
    public const string InternalMarker = "__corro_";

    /// <summary>Concatenates the <c>.sql</c> files named (folders: their <c>.sql</c> files in name order).</summary>
    public static string ReadFiles(IReadOnlyList<string> paths)
    {
        var text = new StringBuilder();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.GetFiles(path, "*.sql").Order(StringComparer.Ordinal))
                {
                    text.Append(File.ReadAllText(file)).Append(";\n");
                }
            }
            else if (File.Exists(path))
            {
                text.Append(File.ReadAllText(path)).Append(";\n");
            }
            else
            {
                throw new SchemaException($"schema path {path} does not exist");
            }
        }

        return text.ToString();
    }

    /// <summary>Validates the schema text; returns the tables it defines, in a scratch database.</summary>
    public static IReadOnlyList<TableSchema> Parse(string sql)
    {
        using var scratch = OpenMemory();
        var db = scratch.Handle!;
        var rest = sql;
        while (!NativeStatement.IsOnlyComments(rest))
        {
            NativeStatement? stmt;
            try
            {
                stmt = NativeStatement.PrepareNext(db, rest, out rest);
            }
            catch (SqlException e)
            {
                throw new SchemaException($"invalid schema SQL: {e.Message}", e);
            }

            if (stmt is null)
            {
                continue;
            }

            using (stmt)
            {
                var text = stmt.Sql;
                CheckStatementKind(text);
                try
                {
                    stmt.Run();
                }
                catch (SqlException e)
                {
                    throw new SchemaException($"invalid schema SQL: {e.Message}", e);
                }
            }
        }

        using (var names = NativeStatement.Prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND instr(name, '__corro_') > 0"))
        {
            if (names.Step())
            {
                var name = names.GetText(0);
                names.Reset();
                throw new SchemaException($"table {name}: names containing {InternalMarker} are reserved");
            }

            names.Reset();
        }

        var tables = Inspect(db);
        foreach (var table in tables)
        {
            Validate(db, table);
        }

        return tables;
    }

    private static void CheckStatementKind(string text)
    {
        var words = LeadingWords(text, 6);
        if (words.Count >= 2 && words[0] == "CREATE" && words[1] == "TABLE")
        {
            var match = CreateTableAsSelect().Match(text);
            if (match.Success)
            {
                throw new SchemaException($"table {Unquote(match.Groups["name"].Value)}: CREATE TABLE ... AS SELECT is not allowed");
            }

            return;
        }

        if (words.Count >= 2 && words[0] == "CREATE" && words[1] == "INDEX")
        {
            return;
        }

        if (words.Count >= 3 && words[0] == "CREATE" && words[1] == "UNIQUE" && words[2] == "INDEX")
        {
            var match = IndexOn().Match(text);
            var target = match.Success ? $"table {Unquote(match.Groups["table"].Value)} column {match.Groups["cols"].Value.Trim()}" : "schema";
            throw new SchemaException($"{target}: unique indexes are not allowed (only the primary key may be unique)");
        }

        if (words.Count >= 4 && words[0] == "DROP" && words[1] == "INDEX" && words[2] == "IF" && words[3] == "EXISTS")
        {
            return;
        }

        throw new SchemaException($"statement not allowed in a schema (only CREATE TABLE, CREATE INDEX, DROP INDEX IF EXISTS): {Shorten(text)}");
    }

    private static string Shorten(string text)
    {
        text = text.Trim();
        return text.Length > 80 ? text[..80] + "..." : text;
    }

    private static List<string> LeadingWords(string text, int count)
    {
        var words = new List<string>();
        var i = 0;
        while (i < text.Length && words.Count < count)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) || (c == ';' && words.Count == 0))
            {
                i++;
            }
            else if (c == '-' && i + 1 < text.Length && text[i + 1] == '-')
            {
                var end = text.IndexOf('\n', i);
                i = end < 0 ? text.Length : end + 1;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
            }
            else if (char.IsLetter(c))
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                words.Add(text[start..i].ToUpperInvariant());
            }
            else
            {
                break;
            }
        }

        return words;
    }

    private static string Unquote(string name)
    {
        name = name.Trim();
        if (name.Length >= 2 && (name[0] == '"' || name[0] == '`' || name[0] == '[') )
        {
            return name[1..^1];
        }

        return name;
    }

    [GeneratedRegex(@"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(?<name>""[^""]+""|`[^`]+`|\[[^\]]+\]|[\w.]+)\s+AS\b", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTableAsSelect();

    [GeneratedRegex(@"\bON\s+(?<table>""[^""]+""|`[^`]+`|\[[^\]]+\]|\w+)\s*\((?<cols>[^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex IndexOn();

    [GeneratedRegex(@"\bAUTOINCREMENT\b", RegexOptions.IgnoreCase)]
    private static partial Regex Autoincrement();

    private static void Validate(sqlite3 db, TableSchema table)
    {
        if (table.Name.Contains(InternalMarker, StringComparison.OrdinalIgnoreCase))
        {
            throw new SchemaException($"table {table.Name}: names containing {InternalMarker} are reserved");
        }

        if (table.PkColumns.Count == 0)
        {
            throw new SchemaException($"table {table.Name}: a replicated table needs a PRIMARY KEY (no column is declared as key)");
        }

        if (Autoincrement().IsMatch(table.Sql))
        {
            throw new SchemaException($"table {table.Name} column {table.PkColumns[0].Name}: AUTOINCREMENT is not allowed");
        }

        foreach (var column in table.ValueColumns)
        {
            if (column.NotNull && column.Default is null)
            {
                throw new SchemaException($"table {table.Name} column {column.Name}: a NOT NULL column that is not part of the primary key needs a DEFAULT");
            }
        }

        using (var fks = NativeStatement.Prepare(db, "SELECT \"from\" FROM pragma_foreign_key_list(?1)"))
        {
            fks.Bind(1, table.Name);
            if (fks.Step())
            {
                var column = fks.GetText(0);
                fks.Reset();
                throw new SchemaException($"table {table.Name} column {column}: foreign keys are not allowed");
            }

            fks.Reset();
        }

        using var indexes = NativeStatement.Prepare(db, "SELECT name, \"unique\", origin FROM pragma_index_list(?1)");
        indexes.Bind(1, table.Name);
        var unique = new List<string>();
        while (indexes.Step())
        {
            if (indexes.GetInt64(1) != 0 && indexes.GetText(2) != "pk")
            {
                unique.Add(indexes.GetText(0));
            }
        }

        indexes.Reset();
        if (unique.Count > 0)
        {
            using var info = NativeStatement.Prepare(db, "SELECT group_concat(name, ', ') FROM pragma_index_info(?1)");
            info.Bind(1, unique[0]);
            var columns = info.Step() && !info.IsNull(0) ? info.GetText(0) : "?";
            info.Reset();
            throw new SchemaException($"table {table.Name} column {columns}: unique indexes are not allowed (only the primary key may be unique)");
        }
    }

    /// <summary>
    /// True when the table's primary key is a rowid alias: one INTEGER PRIMARY KEY column of a rowid
    /// table whose key has no index of its own (INTEGER PRIMARY KEY DESC and WITHOUT ROWID tables
    /// keep one), so its values are always integers.
    /// </summary>
    public static bool IsRowidAlias(sqlite3 db, TableSchema table)
    {
        if (table.PkColumns.Count != 1 || !string.Equals(table.PkColumns[0].Type, "INTEGER", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        using var pkIndex = NativeStatement.Prepare(db, "SELECT count(*) FROM pragma_index_list(?1) WHERE origin = 'pk'");
        pkIndex.Bind(1, table.Name);
        var hasIndex = pkIndex.Step() && pkIndex.GetInt64(0) > 0;
        pkIndex.Reset();
        return !hasIndex;
    }

    /// <summary>Reads the user tables of a database (everything but internal and sqlite_ tables).</summary>
    public static IReadOnlyList<TableSchema> Inspect(sqlite3 db)
    {
        var names = new List<(string Name, string Sql)>();
        using (var list = NativeStatement.Prepare(db, "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND instr(name, '__corro_') = 0 ORDER BY name"))
        {
            while (list.Step())
            {
                names.Add((list.GetText(0), list.IsNull(1) ? string.Empty : list.GetText(1)));
            }

            list.Reset();
        }

        var tables = new List<TableSchema>();
        using var columns = NativeStatement.Prepare(db, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid");
        using var indexes = NativeStatement.Prepare(db, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name");
        using var hidden = NativeStatement.Prepare(db, "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE hidden <> 0");
        foreach (var (name, sql) in names)
        {
            var cols = new List<ColumnSchema>();
            columns.Bind(1, name);
            while (columns.Step())
            {
                cols.Add(new ColumnSchema(
                    columns.GetText(0),
                    columns.IsNull(1) ? string.Empty : columns.GetText(1),
                    columns.GetInt64(2) != 0,
                    columns.IsNull(3) ? null : columns.GetText(3),
                    (int)columns.GetInt64(4)));
            }

            columns.Reset();
            var idx = new List<IndexSchema>();
            indexes.Bind(1, name);
            while (indexes.Step())
            {
                idx.Add(new IndexSchema(indexes.GetText(0), name, indexes.GetText(1)));
            }

            indexes.Reset();
            hidden.Bind(1, name);
            var hiddenColumns = hidden.Step() ? (int)hidden.GetInt64(0) : 0;
            hidden.Reset();
            tables.Add(new TableSchema(name, sql, cols, idx, hiddenColumns));
        }

        return tables;
    }

    /// <summary>
    /// The SQL that brings <paramref name="existing"/> to <paramref name="desired"/>, additively;
    /// throws <see cref="SchemaException"/> for anything destructive.
    /// </summary>
    public static IReadOnlyList<string> Plan(IReadOnlyList<TableSchema> existing, IReadOnlyList<TableSchema> desired)
    {
        var steps = new List<string>();
        var have = existing.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        var want = desired.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var table in existing)
        {
            if (!want.ContainsKey(table.Name))
            {
                throw new SchemaException($"table {table.Name}: missing from the schema (dropping a table is not allowed)");
            }
        }

        foreach (var table in desired)
        {
            if (!have.TryGetValue(table.Name, out var old))
            {
                steps.Add(table.Sql);
                steps.AddRange(table.Indexes.Select(i => i.Sql));
                continue;
            }

            var oldPk = string.Join(", ", old.PkColumns.Select(c => c.Name));
            var newPk = string.Join(", ", table.PkColumns.Select(c => c.Name));
            if (!string.Equals(oldPk, newPk, StringComparison.OrdinalIgnoreCase))
            {
                throw new SchemaException($"table {table.Name} column {newPk}: changing the primary key ({oldPk} -> {newPk}) is not allowed");
            }

            var newColumns = table.Columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
            foreach (var column in old.Columns)
            {
                if (!newColumns.TryGetValue(column.Name, out var now))
                {
                    throw new SchemaException($"table {table.Name} column {column.Name}: dropping a column is not allowed");
                }

                if (!string.Equals(column.Type, now.Type, StringComparison.OrdinalIgnoreCase))
                {
                    throw new SchemaException($"table {table.Name} column {column.Name}: changing the type ({column.Type} -> {now.Type}) is not allowed");
                }

                if (column.NotNull != now.NotNull || !string.Equals(column.Default, now.Default, StringComparison.Ordinal))
                {
                    throw new SchemaException($"table {table.Name} column {column.Name}: changing NOT NULL or DEFAULT of an existing column is not allowed");
                }
            }

            var oldColumns = old.Columns.Select(c => c.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var column in table.Columns.Where(c => !oldColumns.Contains(c.Name)))
            {
                var definition = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"ALTER TABLE {Quote(table.Name)} ADD COLUMN {Quote(column.Name)}");
                if (column.Type.Length > 0)
                {
                    definition.Append(' ').Append(column.Type);
                }

                if (column.NotNull)
                {
                    definition.Append(" NOT NULL");
                }

                if (column.Default is not null)
                {
                    definition.Append(" DEFAULT ").Append(column.Default);
                }

                steps.Add(definition.ToString());
            }

            var oldIndexes = old.Indexes.ToDictionary(i => i.Name, StringComparer.OrdinalIgnoreCase);
            var newIndexes = table.Indexes.ToDictionary(i => i.Name, StringComparer.OrdinalIgnoreCase);
            foreach (var index in old.Indexes)
            {
                if (!newIndexes.TryGetValue(index.Name, out var now) || Normalize(now.Sql) != Normalize(index.Sql))
                {
                    steps.Add($"DROP INDEX {Quote(index.Name)}");
                }
            }

            foreach (var index in table.Indexes)
            {
                if (!oldIndexes.TryGetValue(index.Name, out var then) || Normalize(then.Sql) != Normalize(index.Sql))
                {
                    steps.Add(index.Sql);
                }
            }
        }

        return steps;
    }

    private static string Normalize(string sql) => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();

    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static Microsoft.Data.Sqlite.SqliteConnection OpenMemory()
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:;Pooling=False");
        connection.Open();
        return connection;
    }
}
