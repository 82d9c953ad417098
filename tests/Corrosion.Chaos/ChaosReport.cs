using System.Globalization;
using System.Text;
using Corrosion.Chaos.Checking;

namespace Corrosion.Chaos;

/// <summary>The outcome of a run: timings, the checker's result, the faults applied, and where the evidence is.</summary>
public sealed class ChaosReport
{
    public required ChaosOptions Options { get; init; }

    public string? Directory { get; init; }

    /// <summary>Why the run could not finish (set-up failure, deadline, cancellation), or null.</summary>
    public string? Error { get; set; }

    public CheckResult? Check { get; set; }

    public TimeSpan StartUp { get; set; }

    public TimeSpan Workload { get; set; }

    public TimeSpan Elapsed { get; set; }

    /// <summary>From the final heal to identical nodes; null when they never were within the deadline.</summary>
    public TimeSpan? ConvergedAfter { get; set; }

    public int FaultsApplied { get; set; }

    public IReadOnlyList<string> NemesisEvents { get; set; } = [];

    public Dictionary<string, int> Rows { get; set; } = [];

    public Dictionary<int, int> ErrorLogLines { get; } = [];

    public string LoadBefore { get; init; } = "";

    public string LoadAfter { get; set; } = "";

    /// <summary>Finished, no anomaly (convergence within the deadline included).</summary>
    public bool Passed => Error is null && Check is { Passed: true };

    /// <summary>Passed, and converged within the goal (<see cref="ChaosOptions.ConvergenceGoal"/>).</summary>
    public bool MetGoal => Passed && ConvergedAfter <= Options.ConvergenceGoal;

    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"===== chaos report: seed {Options.Seed}, target {Options.Writes} writes, {Options.Nodes} nodes, {Options.LossPercent} % loss, {Options.DuplicatePercent} % duplication =====");
        if (Error is not null)
        {
            s.AppendLine("RUN FAILED: " + Error);
        }

        s.AppendLine(CultureInfo.InvariantCulture, $"start-up {StartUp.TotalSeconds:F1} s, workload {Workload.TotalSeconds:F1} s, total {Elapsed.TotalSeconds:F1} s; load average {LoadBefore} before, {LoadAfter} after");
        if (Check is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"throughput {Check.Acknowledged / Math.Max(Workload.TotalSeconds, 0.001):F0} acknowledged writes/s; faults applied {FaultsApplied}");
            s.Append(Check);
        }

        s.AppendLine(ConvergedAfter is { } after
            ? string.Create(CultureInfo.InvariantCulture, $"convergence: identical tables and clocks on every node {after.TotalSeconds:F2} s after the final heal (goal {Options.ConvergenceGoal.TotalSeconds:F0} s: {(after <= Options.ConvergenceGoal ? "met" : "MISSED")})")
            : "convergence: NOT identical within the deadline");
        if (Rows.Count > 0)
        {
            s.AppendLine("rows: " + string.Join(", ", Rows.Select(r => $"{r.Key} {r.Value}")));
        }

        if (ErrorLogLines.Count > 0)
        {
            s.AppendLine("error/critical log lines per node: " + string.Join(", ", ErrorLogLines.OrderBy(p => p.Key).Select(p => $"node {p.Key}: {p.Value}")));
        }

        s.AppendLine("nemesis:");
        foreach (var e in NemesisEvents)
        {
            s.AppendLine("  " + e);
        }

        s.AppendLine(Passed ? (MetGoal ? "RESULT: PASS" : "RESULT: PASS (convergence goal missed)") : "RESULT: FAIL");
        if (Directory is not null && !Passed)
        {
            s.AppendLine($"evidence kept in {Directory} (run.log, report.txt, history.ndjson, node*/node*.log, node*/node.db)");
        }

        return s.ToString();
    }
}
