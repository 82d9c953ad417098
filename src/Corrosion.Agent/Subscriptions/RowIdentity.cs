using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Which result columns identify a row of a live query, from the columns' origins as SQLite reports
/// them: when the result carries every primary-key column of every table the query reads, those key
/// cells; otherwise every cell read unchanged from a table column (the GROUP BY keys of an
/// aggregate, say). An aggregate with no plain column (<c>SELECT count(*)</c>) has an empty key: one
/// row. Rows with equal keys are told apart by their order of occurrence, so correctness never
/// depends on this choice, only how stable row ids stay across updates.
/// </summary>
internal static class RowIdentity
{
    public static int[] KeyColumns(IReadOnlyList<LiveQueryColumn> columns, IReadOnlyDictionary<string, IReadOnlyList<string>> tables)
    {
        var keys = new SortedSet<int>();
        var complete = true;
        foreach (var (table, pks) in tables)
        {
            foreach (var pk in pks)
            {
                var index = IndexOf(columns, table, pk);
                if (index < 0)
                {
                    complete = false;
                    break;
                }

                keys.Add(index);
            }

            if (!complete)
            {
                break;
            }
        }

        if (complete)
        {
            return keys.ToArray();
        }

        var origins = new List<int>();
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].OriginColumn is not null)
            {
                origins.Add(i);
            }
        }

        return origins.ToArray();
    }

    private static int IndexOf(IReadOnlyList<LiveQueryColumn> columns, string table, string column)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].IsPrimaryKey
                && string.Equals(columns[i].OriginTable, table, StringComparison.Ordinal)
                && string.Equals(columns[i].OriginColumn, column, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
