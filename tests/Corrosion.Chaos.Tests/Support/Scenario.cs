using System.Globalization;
using Corrosion.Chaos.Checking;
using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Workload;
using Corrosion.Client;

namespace Corrosion.Chaos.Tests.Support;

/// <summary>Builds a client history and the node snapshots a run would end with, for checker tests.</summary>
public sealed class Scenario
{
    private const string Site = "00112233445566778899AABBCCDDEEFF";

    public History History { get; } = new();

    public List<NodeCrash> Crashes { get; } = [];

    public WriteRecord Unique(string id, CellValue value, Outcome outcome = Outcome.Acknowledged, long client = 1) =>
        Write([new UniqueInsert(id, client, value)], outcome);

    public WriteRecord Transaction(string tx, Outcome outcome = Outcome.Acknowledged, int parts = 3) =>
        Write(Enumerable.Range(0, parts).Select(p => (Effect)new PartInsert(tx, p, $"{tx}/{p}")).ToList(), outcome);

    public WriteRecord Shared(long key, CellValue value, string writer, Outcome outcome = Outcome.Acknowledged) =>
        Write([new SharedUpsert(key, value, writer)], outcome);

    private WriteRecord Write(IReadOnlyList<Effect> effects, Outcome outcome)
    {
        var record = History.Begin(0, 0, effects, [new ClientStatement("-- test")]);
        History.Complete(record, outcome, outcome == Outcome.Failed ? "node unreachable" : null);
        return record;
    }

    /// <summary>A node's snapshot holding exactly the effects of <paramref name="applied"/> (later writes win).</summary>
    public static NodeSnapshot Snapshot(int node, params WriteRecord[] applied)
    {
        var tables = ChaosSchema.Tables.ToDictionary(t => t.Name, _ => new Rows(), StringComparer.Ordinal);
        var clocks = ChaosSchema.Tables.ToDictionary(t => t.Name, _ => new Rows(), StringComparer.Ordinal);
        foreach (var write in applied)
        {
            foreach (var effect in write.Effects)
            {
                var (table, key, cells) = effect switch
                {
                    UniqueInsert u => (ChaosSchema.Unique.Name, Quote(u.Id), new[] { CellValue.Integer(u.Client).ToSnapshotCell(), u.Value.ToSnapshotCell() }),
                    PartInsert p => (ChaosSchema.Parts.Name, Quote(p.Tx) + "|" + p.Part.ToString(CultureInfo.InvariantCulture), new[] { CellValue.OfText(p.Value).ToSnapshotCell() }),
                    SharedUpsert s => (ChaosSchema.Shared.Name, s.Key.ToString(CultureInfo.InvariantCulture), new[] { s.Value.ToSnapshotCell(), CellValue.OfText(s.Writer).ToSnapshotCell() }),
                    _ => throw new NotSupportedException(effect.ToString()),
                };
                tables[table][key] = cells;
                clocks[table][key + "|-1"] = ["1", write.Id.ToString(CultureInfo.InvariantCulture), Site, "0"];
            }
        }

        return new NodeSnapshot(node, tables, clocks);
    }

    public CheckResult Check(params NodeSnapshot[] snapshots) => ChaosChecker.Check(History, snapshots, Crashes, partsPerTransaction: 3);

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
