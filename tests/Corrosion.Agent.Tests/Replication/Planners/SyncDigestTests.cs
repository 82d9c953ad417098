using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class SyncDigestTests
{
    private static readonly ActorId A = ActorId.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly ActorId B = ActorId.Parse("00000000-0000-0000-0000-00000000000b");

    private static SyncState State(
        ActorId self,
        Dictionary<ActorId, long> heads,
        Dictionary<ActorId, IReadOnlyList<VersionRange>>? needs = null,
        Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>? partials = null) =>
        new(self, heads, needs ?? [], partials ?? []);

    [Fact]
    public void Equal_states_of_different_nodes_in_any_order_have_equal_digests()
    {
        var one = State(A, new() { [A] = 5, [B] = 7 }, new() { [B] = [new VersionRange(2, 3)] });
        var two = State(B, new() { [B] = 7, [A] = 5 }, new() { [B] = [new VersionRange(2, 3)] });
        Assert.Equal(SyncDigest.Of(one), SyncDigest.Of(two));
    }

    [Fact]
    public void A_different_head_gap_or_partial_changes_the_digest()
    {
        var baseline = SyncDigest.Of(State(A, new() { [A] = 5, [B] = 7 }, new() { [B] = [new VersionRange(2, 3)] }));
        Assert.NotEqual(baseline, SyncDigest.Of(State(A, new() { [A] = 5, [B] = 8 }, new() { [B] = [new VersionRange(2, 3)] })));
        Assert.NotEqual(baseline, SyncDigest.Of(State(A, new() { [A] = 5, [B] = 7 }, new() { [B] = [new VersionRange(2, 2)] })));
        Assert.NotEqual(baseline, SyncDigest.Of(State(A, new() { [A] = 5, [B] = 7 })));
        Assert.NotEqual(
            baseline,
            SyncDigest.Of(State(
                A,
                new() { [A] = 5, [B] = 7 },
                new() { [B] = [new VersionRange(2, 3)] },
                new() { [B] = new Dictionary<long, IReadOnlyList<SeqRange>> { [7] = [new SeqRange(3, 4)] } })));
    }

    [Fact]
    public void A_digest_round_trips_through_its_bytes()
    {
        var digest = SyncDigest.Of(State(A, new() { [A] = 1 }));
        var bytes = new byte[SyncDigest.Size];
        digest.WriteTo(bytes);
        Assert.Equal(digest, SyncDigest.Read(bytes));
    }
}
