using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Simulation.Replication;

/// <summary>
/// A wide-area replication experiment: nodes spread round-robin over regions, a fixed random one-way
/// latency between each pair of regions, a small one inside a region, uniform loss; changes written
/// one at a time on random nodes.
/// </summary>
public sealed record ReplicationScenario
{
    /// <summary>Seed of every random choice (topology, loss, planners, writers).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Number of nodes.</summary>
    public int Nodes { get; init; } = 800;

    /// <summary>Number of regions (node i is in region i mod regions).</summary>
    public int Regions { get; init; } = 40;

    /// <summary>Smallest one-way latency between two regions.</summary>
    public long MinRegionLatencyMs { get; init; } = 20;

    /// <summary>Largest one-way latency between two regions.</summary>
    public long MaxRegionLatencyMs { get; init; } = 150;

    /// <summary>One-way latency inside a region (plus the same per-message jitter).</summary>
    public LatencyDistribution LocalLatency { get; init; } = new(1, 3);

    /// <summary>Per-message extra delay drawn on top of the pair's latency.</summary>
    public LatencyDistribution Jitter { get; init; } = new(0, 5);

    /// <summary>Probability that any message is lost.</summary>
    public double LossRate { get; init; } = 0.01;

    /// <summary>How many changes are written.</summary>
    public int Changes { get; init; } = 50;

    /// <summary>Pause between two writes.</summary>
    public long ChangeIntervalMs { get; init; } = 100;

    /// <summary>Broadcast tuning (the real defaults unless set).</summary>
    public BroadcastOptions Broadcast { get; init; } = new();

    /// <summary>Sync tuning (the real defaults unless set).</summary>
    public SyncOptions Sync { get; init; } = new();

    /// <summary>How long a sync round waits for peers' states before planning with those that came.</summary>
    public long SyncStateTimeoutMs { get; init; } = 1_000;

    /// <summary>Virtual time after which the run stops even if some change has not reached everyone.</summary>
    public long DeadlineMs { get; init; } = 120_000;
}
