using System.Text;
using Corrosion.Chaos.Workload;

namespace Corrosion.Chaos.Checking;

/// <summary>What the checker found: counts of writes by outcome, lost writes, and anomalies by kind (with examples).</summary>
public sealed class CheckResult
{
    private readonly Dictionary<AnomalyKind, List<string>> _examples = new();
    private readonly Dictionary<AnomalyKind, int> _counts = new();
    private readonly Dictionary<long, WriteRecord> _lost = new();

    public int Acknowledged { get; set; }

    public int Unknown { get; set; }

    public int Failed { get; set; }

    /// <summary>Acknowledged writes missing on at least one node.</summary>
    public int Lost { get; set; }

    public int Reads { get; set; }

    public IReadOnlyDictionary<long, WriteRecord> LostWrites => _lost;

    public IReadOnlyDictionary<AnomalyKind, int> Counts => _counts;

    /// <summary>No anomaly that fails a run (observations such as <see cref="AnomalyKind.DefaultValueRead"/> are reported only).</summary>
    public bool Passed => _counts.Keys.All(IsObservation);

    /// <summary>Kinds reported but not failing a run: known behaviour of the design, not a lost or wrong final state.</summary>
    public static bool IsObservation(AnomalyKind kind) => kind == AnomalyKind.DefaultValueRead;

    public int CountOf(AnomalyKind kind) => _counts.GetValueOrDefault(kind);

    public IReadOnlyList<string> ExamplesOf(AnomalyKind kind) => _examples.GetValueOrDefault(kind) ?? [];

    public void Add(AnomalyKind kind, string text)
    {
        _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
        if (!_examples.TryGetValue(kind, out var list))
        {
            _examples[kind] = list = new();
        }

        if (list.Count < ChaosChecker.ExamplesPerKind)
        {
            list.Add(text);
        }
    }

    internal void Lose(WriteRecord write, int node, string text)
    {
        _lost.TryAdd(write.Id, write);
        Add(AnomalyKind.LostWrite, text);
    }

    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine($"writes: {Acknowledged} acknowledged, {Unknown} unknown, {Failed} failed; reads checked: {Reads}; lost: {Lost}");
        if (Passed)
        {
            s.AppendLine("checker: no anomalies");
        }

        foreach (var (kind, count) in _counts.OrderBy(p => p.Key))
        {
            s.AppendLine($"{(IsObservation(kind) ? "OBSERVATION (not a failure)" : "ANOMALY")} {kind}: {count}");
            foreach (var example in ExamplesOf(kind))
            {
                s.AppendLine("  - " + example.Replace("\n", "\n    ", StringComparison.Ordinal));
            }
        }

        return s.ToString();
    }
}

/// <summary>Kinds of anomaly the checker reports.</summary>
public enum AnomalyKind
{
    /// <summary>An acknowledged write is missing on a node after the final heal.</summary>
    LostWrite,

    /// <summary>Two nodes hold different rows or cells after the final heal.</summary>
    Divergence,

    /// <summary>Two nodes hold different clock metadata for a cell.</summary>
    ClockDivergence,

    /// <summary>A transaction is partly present.</summary>
    TornTransaction,

    /// <summary>A read during the run saw part of a transaction.</summary>
    TornRead,

    /// <summary>A row or value no client wrote.</summary>
    Phantom,

    /// <summary>A row holds another value than its only writer wrote.</summary>
    WrongValue,

    /// <summary>A write that certainly failed is visible.</summary>
    FailedWriteVisible,

    /// <summary>A node did not show a write it had just acknowledged.</summary>
    StaleRead,

    /// <summary>A valid write was refused with a 4xx.</summary>
    Refused,

    /// <summary>A node exited without the nemesis killing it.</summary>
    Crash,

    /// <summary>The nodes were not identical within the convergence deadline.</summary>
    NotConverged,

    /// <summary>A node did not stop cleanly on SIGTERM at the end.</summary>
    UncleanStop,

    /// <summary>
    /// Observation, not a failure: a read during faults saw a row with a column at its default
    /// (NULL) that no write set. Sync serves a version's cells as they are now; when later
    /// versions overwrote them, the version still brings the row to life (its causal length) but
    /// without those values, and a node that has it before the later versions shows the row with
    /// defaults until they arrive. The final state never keeps it (a final row like that is a
    /// <see cref="Phantom"/>).
    /// </summary>
    DefaultValueRead,
}
