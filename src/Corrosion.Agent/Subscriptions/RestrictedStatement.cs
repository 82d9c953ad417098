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
/// text and its parameters are unchanged (keys are written as literals), so the subscription's own
/// parameters bind as they did.
/// </summary>
internal static class RestrictedStatement
{
    /// <summary>Most keys in one statement with a one-column restriction (an IN list).</summary>
    public const int MaxKeysPerStatement = 500;

    /// <summary>Most keys in one statement with a composite restriction (an OR of ANDs, which nests).</summary>
    public const int MaxCompositeKeysPerStatement = 100;

    /// <summary>
    /// The statements covering <paramref name="keys"/> (each the values of <paramref name="columns"/>,
    /// in order), or null when a key holds a value that is not written exactly as a literal (REAL, NULL,
    /// text with a NUL character).
    /// </summary>
    public static List<string>? Build(string text, int columnCount, IReadOnlyList<int> columns, IReadOnlyCollection<SqlValue[]> keys)
    {
        var prefix = new StringBuilder("WITH \"__corro_q\"(");
        for (var c = 0; c < columnCount; c++)
        {
            prefix.Append(c == 0 ? "\"c" : ",\"c").Append(c.ToString(CultureInfo.InvariantCulture)).Append('"');
        }

        // The newline ends a trailing line comment inside the query text.
        prefix.Append(") AS (\n").Append(text).Append("\n)\nSELECT * FROM \"__corro_q\" WHERE ");
        var perStatement = columns.Count == 1 ? MaxKeysPerStatement : MaxCompositeKeysPerStatement;
        var statements = new List<string>();
        foreach (var chunk in keys.Chunk(perStatement))
        {
            var sql = new StringBuilder(prefix.ToString());
            if (columns.Count == 1)
            {
                sql.Append(Column(columns[0])).Append(" IN (");
                for (var k = 0; k < chunk.Length; k++)
                {
                    if (k > 0)
                    {
                        sql.Append(',');
                    }

                    if (!TryAppendLiteral(sql, chunk[k][0]))
                    {
                        return null;
                    }
                }

                sql.Append(')');
            }
            else
            {
                for (var k = 0; k < chunk.Length; k++)
                {
                    sql.Append(k == 0 ? "(" : " OR (");
                    for (var c = 0; c < columns.Count; c++)
                    {
                        sql.Append(c == 0 ? string.Empty : " AND ").Append(Column(columns[c])).Append(" = ");
                        if (!TryAppendLiteral(sql, chunk[k][c]))
                        {
                            return null;
                        }
                    }

                    sql.Append(')');
                }
            }

            statements.Add(sql.ToString());
        }

        return statements;
    }

    private static string Column(int index) => "\"c" + index.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>Writes <paramref name="value"/> as a literal SQLite reads back as exactly that value.</summary>
    internal static bool TryAppendLiteral(StringBuilder sql, SqlValue value)
    {
        switch (value.Kind)
        {
            case SqlValueKind.Integer:
                // -9223372036854775808 would be read as minus a too-large (REAL) number.
                sql.Append(value.AsInteger == long.MinValue ? "(-9223372036854775807-1)" : value.AsInteger.ToString(CultureInfo.InvariantCulture));
                return true;
            case SqlValueKind.Text:
                var text = value.AsText;
                if (text.Contains('\0', StringComparison.Ordinal))
                {
                    return false;
                }

                sql.Append('\'').Append(text.Replace("'", "''", StringComparison.Ordinal)).Append('\'');
                return true;
            case SqlValueKind.Blob:
                sql.Append("X'").Append(Convert.ToHexString(value.AsBlob)).Append('\'');
                return true;
            default:
                // A REAL's decimal form may not read back bit for bit; NULL never compares equal.
                return false;
        }
    }
}
