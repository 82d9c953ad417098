using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>Found by the gossip fuzzer: a stranger's changeset at version long.MaxValue made /v1/health throw OverflowException.</summary>
public sealed class SyncStateTests
{
    [Fact]
    public void Needed_versions_saturate_instead_of_overflowing()
    {
        var a = ActorId.NewId();
        var b = ActorId.NewId();
        var state = new SyncState(
            ActorId.NewId(),
            new Dictionary<ActorId, long> { [a] = long.MaxValue, [b] = long.MaxValue },
            new Dictionary<ActorId, IReadOnlyList<VersionRange>> { [a] = [new VersionRange(1, long.MaxValue - 1)], [b] = [new VersionRange(2, long.MaxValue - 1), new VersionRange(1, 1)] },
            new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>());

        Assert.Equal(long.MaxValue, state.NeededVersions());
    }

    [Fact]
    public void Needed_versions_add_up_the_gaps()
    {
        var a = ActorId.NewId();
        var state = new SyncState(
            ActorId.NewId(),
            new Dictionary<ActorId, long> { [a] = 10 },
            new Dictionary<ActorId, IReadOnlyList<VersionRange>> { [a] = [new VersionRange(2, 4), new VersionRange(7, 7)] },
            new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>());

        Assert.Equal(4, state.NeededVersions());
    }
}
