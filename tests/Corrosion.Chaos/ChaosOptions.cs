using Corrosion.Chaos.Cluster;

namespace Corrosion.Chaos;

/// <summary>Everything a chaos run is parameterised by; the defaults are the long run of issue 15.</summary>
public sealed record ChaosOptions
{
    /// <summary>Seeds the fault plan and every client's choices.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Acknowledged writes to reach (the run also lasts until every kind of fault has happened once).</summary>
    public int Writes { get; init; } = 10_000;

    public int Nodes { get; init; } = 5;

    public int Clients { get; init; } = 8;

    /// <summary>Loss on every link from the first fault to the final heal.</summary>
    public int LossPercent { get; init; } = 10;

    /// <summary>Duplication on every link from the first fault to the final heal.</summary>
    public int DuplicatePercent { get; init; } = 5;

    public TimeSpan FaultMin { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan FaultMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause between faults (baseline loss and duplication stay).</summary>
    public TimeSpan Calm { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The goal: identical nodes within this long after the final heal.</summary>
    public TimeSpan ConvergenceGoal { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Nodes not identical this long after the final heal: divergence.</summary>
    public TimeSpan ConvergenceDeadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A node must listen (and, at the start, all must have joined) within this.</summary>
    public TimeSpan StartDeadline { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The whole run, set-up to tear-down, is cancelled after this.</summary>
    public TimeSpan RunDeadline { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Per-run directory: configs, databases, node logs, the report; kept when the run fails or with <see cref="KeepDirectory"/>.</summary>
    public string? Directory { get; init; }

    public bool KeepDirectory { get; init; }

    /// <summary>The <c>corrosion</c> executable (a framework-dependent dll run with <c>dotnet</c>).</summary>
    public string CorrosionDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "corrosion.dll");

    /// <summary>HOCON lines every node gets after its addresses (see <see cref="ChaosCluster.DefaultTuning"/>).</summary>
    public string Tuning { get; init; } = ChaosCluster.DefaultTuning;

    /// <summary>The short seeded run of <c>.ci/run</c>: every fault once, about a minute of faults.</summary>
    public static ChaosOptions Short(int seed) => new()
    {
        Seed = seed,
        Writes = 1_000,
        FaultMin = TimeSpan.FromSeconds(2),
        FaultMax = TimeSpan.FromSeconds(4),
        Calm = TimeSpan.FromSeconds(1),
        ConvergenceDeadline = TimeSpan.FromSeconds(30),
        // Deadlines are safety nets for a machine loaded by others (agents then take up to a
        // minute to start), kept under the 8 min hang timeout of .ci/run; a quiet 2-core machine
        // runs the whole thing in about a minute and a half.
        StartDeadline = TimeSpan.FromSeconds(120),
        RunDeadline = TimeSpan.FromMinutes(7),
    };
}
