using System.Globalization;
using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Workload;

namespace Corrosion.Chaos.Checking;

/// <summary>
/// Judges a finished run from the client history and the nodes' final snapshots:
/// every acknowledged write on every node; identical tables (storage classes included) and clock
/// metadata on all nodes; transactions all or nothing; no value no client wrote (nor one only a
/// refused write carried); reads during faults that saw one's own write, no torn transaction and
/// no invented value; and no crash the nemesis did not cause.
/// </summary>
public static class ChaosChecker
{
    /// <summary>Examples kept per kind of anomaly (the count is always exact).</summary>
    public const int ExamplesPerKind = 8;

    public static CheckResult Check(History history, IReadOnlyList<NodeSnapshot> snapshots, IReadOnlyCollection<NodeCrash> crashes, int partsPerTransaction)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(crashes);
        var result = new CheckResult();
        var writes = history.Writes.ToList();
        CheckIdentical(snapshots, result);

        var uniques = new Dictionary<string, (WriteRecord Write, UniqueInsert Effect)>(StringComparer.Ordinal);
        var transactions = new Dictionary<string, (WriteRecord Write, List<PartInsert> Parts)>(StringComparer.Ordinal);
        var sharedValues = new HashSet<CellValue>();
        var sharedWriters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var write in writes)
        {
            foreach (var effect in write.Effects)
            {
                switch (effect)
                {
                    case UniqueInsert u:
                        uniques[u.Id] = (write, u);
                        break;
                    case PartInsert p:
                        if (!transactions.TryGetValue(p.Tx, out var tx))
                        {
                            transactions[p.Tx] = tx = (write, []);
                        }

                        tx.Parts.Add(p);
                        break;
                    case SharedUpsert s when write.MayHaveApplied:
                        sharedValues.Add(s.Value);
                        sharedWriters.Add(s.Writer);
                        break;
                }
            }

            if (write.Outcome == Outcome.Failed && write.Detail?.StartsWith("refused", StringComparison.Ordinal) == true)
            {
                result.Add(AnomalyKind.Refused, $"a valid write was refused: {write}");
            }
        }

        foreach (var snapshot in snapshots)
        {
            CheckUnique(snapshot, uniques, result);
            CheckTransactions(snapshot, transactions, partsPerTransaction, result);
            CheckShared(snapshot, sharedValues, sharedWriters, result);
        }

        result.Acknowledged = writes.Count(w => w.Outcome == Outcome.Acknowledged);
        result.Unknown = writes.Count(w => w.Outcome == Outcome.Unknown);
        result.Failed = writes.Count(w => w.Outcome == Outcome.Failed);
        result.Lost = result.LostWrites.Count;
        CheckReads(history, uniques, sharedValues, sharedWriters, partsPerTransaction, result);
        foreach (var crash in crashes)
        {
            result.Add(AnomalyKind.Crash, $"node {crash.Node} exited with {crash.ExitCode} at {crash.At:O} without being killed; last output:\n{crash.Tail}");
        }

        return result;
    }

    private static void CheckIdentical(IReadOnlyList<NodeSnapshot> snapshots, CheckResult result)
    {
        if (snapshots.Count < 2)
        {
            return;
        }

        var first = snapshots[0];
        foreach (var other in snapshots.Skip(1))
        {
            foreach (var (what, mine, theirs) in new[] { ("table", first.Tables, other.Tables), ("clock of", first.Clocks, other.Clocks) })
            {
                foreach (var table in mine.Keys.Union(theirs.Keys))
                {
                    var a = mine.GetValueOrDefault(table) ?? new Rows();
                    var b = theirs.GetValueOrDefault(table) ?? new Rows();
                    foreach (var key in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
                    {
                        var left = a.TryGetValue(key, out var l) ? string.Join(", ", l) : "(absent)";
                        var right = b.TryGetValue(key, out var r) ? string.Join(", ", r) : "(absent)";
                        if (left != right)
                        {
                            result.Add(what == "table" ? AnomalyKind.Divergence : AnomalyKind.ClockDivergence, $"{what} {table} row {key}: node {first.Node} has {left}; node {other.Node} has {right}");
                        }
                    }
                }
            }
        }
    }

    private static void CheckUnique(NodeSnapshot snapshot, Dictionary<string, (WriteRecord Write, UniqueInsert Effect)> uniques, CheckResult result)
    {
        var rows = snapshot.Tables.GetValueOrDefault(ChaosSchema.Unique.Name) ?? new Rows();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, cells) in rows)
        {
            var id = CellValue.FromQuoted(key).Text;
            seen.Add(id);
            if (!uniques.TryGetValue(id, out var written))
            {
                result.Add(AnomalyKind.Phantom, $"node {snapshot.Node}: uniq row {key} that no client wrote");
                continue;
            }

            if (written.Write.Outcome == Outcome.Failed)
            {
                result.Add(AnomalyKind.FailedWriteVisible, $"node {snapshot.Node}: uniq row {key} of a write that certainly failed: {written.Write}");
            }

            var client = Typed(cells[0]);
            var value = Typed(cells[1]);
            if (client != CellValue.Integer(written.Effect.Client) || value != written.Effect.Value)
            {
                result.Add(AnomalyKind.WrongValue, $"node {snapshot.Node}: uniq row {key} is ({string.Join(", ", cells)}), written ({CellValue.Integer(written.Effect.Client).ToSnapshotCell()}, {written.Effect.Value.ToSnapshotCell()}) by {written.Write}");
            }
        }

        foreach (var (id, (write, _)) in uniques)
        {
            if (write.Outcome == Outcome.Acknowledged && !seen.Contains(id))
            {
                result.Lose(write, snapshot.Node, $"node {snapshot.Node} lacks uniq row '{id}' of acknowledged {write}");
            }
        }
    }

    private static void CheckTransactions(NodeSnapshot snapshot, Dictionary<string, (WriteRecord Write, List<PartInsert> Parts)> transactions, int partsPerTransaction, CheckResult result)
    {
        var rows = snapshot.Tables.GetValueOrDefault(ChaosSchema.Parts.Name) ?? new Rows();
        var present = new Dictionary<string, List<(long Part, CellValue Value)>>(StringComparer.Ordinal);
        foreach (var (key, cells) in rows)
        {
            var pk = key.Split('|');
            var tx = CellValue.FromQuoted(pk[0]).Text;
            var part = long.Parse(pk[1], CultureInfo.InvariantCulture);
            if (!present.TryGetValue(tx, out var parts))
            {
                present[tx] = parts = [];
            }

            parts.Add((part, Typed(cells[0])));
        }

        foreach (var (tx, parts) in present)
        {
            if (!transactions.TryGetValue(tx, out var written))
            {
                result.Add(AnomalyKind.Phantom, $"node {snapshot.Node}: parts of transaction '{tx}' that no client ran");
                continue;
            }

            if (written.Write.Outcome == Outcome.Failed)
            {
                result.Add(AnomalyKind.FailedWriteVisible, $"node {snapshot.Node}: {parts.Count} part(s) of a transaction that certainly failed: {written.Write}");
            }

            if (parts.Count != partsPerTransaction)
            {
                result.Add(AnomalyKind.TornTransaction, $"node {snapshot.Node}: transaction '{tx}' has parts {{{string.Join(",", parts.Select(p => p.Part).Order())}}} of {partsPerTransaction}: {written.Write}");
            }

            foreach (var (part, value) in parts)
            {
                var expected = written.Parts.FirstOrDefault(p => p.Part == part);
                if (expected is null || value != CellValue.OfText(expected.Value))
                {
                    result.Add(AnomalyKind.WrongValue, $"node {snapshot.Node}: transaction '{tx}' part {part} is {value}, written {expected?.Value ?? "(no such part)"}");
                }
            }
        }

        foreach (var (tx, (write, _)) in transactions)
        {
            if (write.Outcome == Outcome.Acknowledged && !present.ContainsKey(tx))
            {
                result.Lose(write, snapshot.Node, $"node {snapshot.Node} lacks every part of acknowledged transaction '{tx}': {write}");
            }
        }
    }

    private static void CheckShared(NodeSnapshot snapshot, HashSet<CellValue> values, HashSet<string> writers, CheckResult result)
    {
        var rows = snapshot.Tables.GetValueOrDefault(ChaosSchema.Shared.Name) ?? new Rows();
        foreach (var (key, cells) in rows)
        {
            var value = Typed(cells[0]);
            var writer = Typed(cells[1]);
            if (!values.Contains(value) || writer.Class != StorageClass.Text || !writers.Contains(writer.Text))
            {
                result.Add(AnomalyKind.Phantom, $"node {snapshot.Node}: shared row {key} is ({string.Join(", ", cells)}), a value or writer no acknowledged or unanswered write carried");
            }
        }
    }

    private static void CheckReads(History history, Dictionary<string, (WriteRecord Write, UniqueInsert Effect)> uniques, HashSet<CellValue> sharedValues, HashSet<string> sharedWriters, int partsPerTransaction, CheckResult result)
    {
        foreach (var read in history.Reads)
        {
            result.Reads++;
            switch (read)
            {
                case ReadOwnWrite own when !own.Found:
                    result.Add(AnomalyKind.StaleRead, $"client {own.Client}: node {own.Node} acknowledged uniq row '{own.Id}' (write #{own.WriteId}) but a read right after did not find it");
                    break;
                case ReadOwnWrite own when own.Seen != uniques[own.Id].Effect.Value:
                    result.Add(AnomalyKind.WrongValue, $"client {own.Client}: node {own.Node} showed uniq row '{own.Id}' as {own.Seen}, written {uniques[own.Id].Effect.Value}");
                    break;
                case ReadTornProbe torn when torn.Partial.Count > 0:
                    result.Add(AnomalyKind.TornRead, $"client {torn.Client}: node {torn.Node} at {torn.At:O} showed transactions with some of their {partsPerTransaction} parts: {string.Join(", ", torn.Partial.Select(p => $"{p.Tx} ({p.Parts})"))}");
                    break;
                case ReadShared { Value: { } value } shared:
                    CheckSharedRead(shared, value, sharedValues, sharedWriters, result);
                    break;
            }
        }
    }

    /// <summary>
    /// A shared row read during the run holds, per column, a value some write carried, or NULL (the
    /// column's default) when the node applied a version that brought the row to life while the
    /// cells that version wrote had since been overwritten by versions the node did not have yet:
    /// sync serves a version's cells as they are now, so the row's sentinel can arrive without its
    /// values (see <see cref="AnomalyKind.DefaultValueRead"/>). Anything else is a phantom.
    /// </summary>
    private static void CheckSharedRead(ReadShared read, CellValue value, HashSet<CellValue> values, HashSet<string> writers, CheckResult result)
    {
        var valueWritten = values.Contains(value);
        var writerWritten = read.Writer is not null && writers.Contains(read.Writer);
        if ((valueWritten || value.Class == StorageClass.Null) && (writerWritten || read.Writer is null))
        {
            if (!valueWritten || !writerWritten)
            {
                result.Add(AnomalyKind.DefaultValueRead, $"client {read.Client}: node {read.Node} at {read.At:HH:mm:ss.fff} showed shared row {read.Key} as ({value}, {(read.Writer is null ? "NULL" : "'" + read.Writer + "'")}): a column at its default, which no write set");
            }

            return;
        }

        result.Add(AnomalyKind.Phantom, $"client {read.Client}: node {read.Node} at {read.At:HH:mm:ss.fff} showed shared row {read.Key} as ({value}, {read.Writer}), which no write carried");
    }

    /// <summary>Parses a snapshot cell, "typeof quote" (e.g. "real 7.0").</summary>
    public static CellValue Typed(string cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        var space = cell.IndexOf(' ', StringComparison.Ordinal);
        var type = cell[..space];
        var value = CellValue.FromQuoted(cell[(space + 1)..]);
        var expected = value.Class.ToString().ToLowerInvariant();
        return type == expected ? value : throw new InvalidDataException($"cell {cell}: typeof says {type}, quote() says {expected}");
    }
}
