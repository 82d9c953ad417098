using System.Globalization;
using System.Text;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Builds the statements that evaluate a live query for some keys only: the query becomes a common
/// table expression with numbered columns, filtered on the restriction's columns:
/// <c>WITH "__corro_q"("c0",…) AS (query) SELECT * FROM "__corro_q" WHERE "c0" IN (…)</c>. SQLite
/// flattens the expression into the query (or pushes the filter down into it), so the filter reaches
/// the table's primary-key index and the cost follows the number of keys, not the table. The query
/// text is unchanged and the keys are named parameters after its own (<c>:__corro_k0</c>, …), so the
/// subscription's own parameters bind as they did, and one prepared statement per shape (key slots
/// in powers of two) serves every evaluation.
/// </summary>
internal static class RestrictedStatement
{
    /// <summary>Most keys in one statement with a one-column restriction (an IN list).</summary>
    public const int MaxKeysPerStatement = 500;

    /// <summary>Most keys in one statement with a composite restriction (an OR of ANDs, which nests).</summary>
    public const int MaxCompositeKeysPerStatement = 100;

    /// <summary>Name of the first key parameter of a <see cref="Template"/>; the others follow it, numbered in order.</summary>
    public const string FirstKeyParameter = ":__corro_k0";

    /// <summary>
    /// The number of key slots a prepared keyed statement has for <paramref name="keys"/> keys: the
    /// next power of two (a few shapes per query, so the prepared statements can be cached), at most
    /// the per-statement bound for <paramref name="columns"/> restriction columns. Unused slots repeat
    /// the last key.
    /// </summary>
    public static int Slots(int keys, int columns)
    {
        var max = columns == 1 ? MaxKeysPerStatement : MaxCompositeKeysPerStatement;
        var slots = 1;
        while (slots < keys && slots < max)
        {
            slots *= 2;
        }

        return Math.Min(slots, max);
    }

    /// <summary>
    /// The keyed statement, with the keys as parameters
    /// (<c>:__corro_k0</c>, <c>:__corro_k1</c>, … after the query's own, key by key and column by
    /// column within a key), so one prepared statement serves every evaluation with
    /// <paramref name="slots"/> keys.
    /// </summary>
    public static string Template(string text, int columnCount, IReadOnlyList<int> columns, int slots)
    {
        var sql = Prefix(text, columnCount);
        var parameter = 0;
        if (columns.Count == 1)
        {
            sql.Append(Column(columns[0])).Append(" IN (");
            for (var k = 0; k < slots; k++)
            {
                sql.Append(k == 0 ? ":__corro_k" : ",:__corro_k").Append(parameter++.ToString(CultureInfo.InvariantCulture));
            }

            return sql.Append(')').ToString();
        }

        for (var k = 0; k < slots; k++)
        {
            sql.Append(k == 0 ? "(" : " OR (");
            for (var c = 0; c < columns.Count; c++)
            {
                sql.Append(c == 0 ? string.Empty : " AND ").Append(Column(columns[c])).Append(" = :__corro_k").Append(parameter++.ToString(CultureInfo.InvariantCulture));
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    /// <summary>True when <paramref name="value"/> can be matched by key exactly (not REAL, whose equality is numeric, nor NULL, which never compares equal).</summary>
    public static bool IsExactKey(SqlValue value) => value.Kind is SqlValueKind.Integer or SqlValueKind.Text or SqlValueKind.Blob;

    private static StringBuilder Prefix(string text, int columnCount)
    {
        var prefix = new StringBuilder("WITH \"__corro_q\"(", text.Length + 128);
        for (var c = 0; c < columnCount; c++)
        {
            prefix.Append(c == 0 ? "\"c" : ",\"c").Append(c.ToString(CultureInfo.InvariantCulture)).Append('"');
        }

        // The newline ends a trailing line comment inside the query text.
        return prefix.Append(") AS (\n").Append(text).Append("\n)\nSELECT * FROM \"__corro_q\" WHERE ");
    }

    private static string Column(int index) => "\"c" + index.ToString(CultureInfo.InvariantCulture) + "\"";
}
