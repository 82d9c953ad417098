using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>A running cluster the replication suites write to and watch.</summary>
internal interface IBenchCluster : IAsyncDisposable
{
    /// <summary>Writes one fresh row on node <paramref name="node"/>; returns (origin, version, response timestamp).</summary>
    Task<(ActorId Origin, long Version, long CommittedAt)> WriteAsync(int node);

    /// <summary>When every node has held the version (latest of them, Stopwatch ticks), or null if some node lacks it.</summary>
    long? VisibleEverywhereAt(ActorId origin, long version);
}
