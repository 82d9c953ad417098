using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

/// <summary>
/// <see cref="HandedVersions"/>: versions queued for the writer count as present in a sync round, so sync does not
/// fetch again what broadcast already brought. We are node 1, they are node 2, X is origin node 9.
/// </summary>
public sealed class HandedVersionsTests
{
    private static readonly ActorId Us = NodeId(1);
    private static readonly ActorId Them = NodeId(2);
    private static readonly ActorId X = NodeId(9);

    private static VersionRange[] Versions(params (long Start, long End)[] ranges) =>
        ranges.Select(r => new VersionRange(r.Start, r.End)).ToArray();

    private static HandedVersions Handed(params long[] versions)
    {
        var handed = new HandedVersions();
        foreach (var v in versions)
        {
            handed.Add(X, v);
        }

        return handed;
    }

    [Fact]
    public void Versions_queued_above_our_head_are_not_asked_for()
    {
        // we: X up to 5 merged, 6..8 queued; they: X up to 9 → only 9
        var ours = Handed(6, 7, 8).Apply(StateOf(Us).Head(X, 5).Build());

        var needs = SyncPlanner.ComputeNeeds(ours, StateOf(Them).Head(X, 9).Build()).Single(n => n.Actor == X);

        Assert.Equal(8, ours.Heads[X]);
        Assert.Equal(Versions((9, 9)), needs.Versions);
    }

    [Fact]
    public void A_queued_version_beyond_the_head_leaves_the_versions_between_as_needs()
    {
        // we: X up to 5, 8 queued → head 8, missing 6..7
        var ours = Handed(8).Apply(StateOf(Us).Head(X, 5).Build());

        Assert.Equal(8, ours.Heads[X]);
        Assert.Equal(Versions((6, 7)), ours.Needs[X]);
    }

    [Fact]
    public void Queued_versions_close_gaps_and_partial_needs()
    {
        // we: X up to 10, missing 3..4 and 7 (7 half received); 4 and 7 queued → missing 3 only
        var ours = Handed(4, 7).Apply(StateOf(Us).Head(X, 10, (3, 4), (7, 7)).Partial(X, 7, (5, 9)).Build());

        Assert.Equal(Versions((3, 3)), ours.Needs[X]);
        Assert.False(ours.PartialNeeds.ContainsKey(X));
    }

    [Fact]
    public void A_version_whose_merge_failed_is_asked_for_again()
    {
        var handed = Handed(6, 7);
        handed.Remove(X, 7);

        var ours = handed.Apply(StateOf(Us).Head(X, 5).Build());

        Assert.Equal(6, ours.Heads[X]);
        Assert.False(ours.Needs.ContainsKey(X));
        Assert.Equal(Versions((7, 7)), SyncPlanner.ComputeNeeds(ours, StateOf(Them).Head(X, 7).Build()).Single().Versions);
    }

    [Fact]
    public void What_the_writer_shows_merged_without_a_gap_is_forgotten()
    {
        var handed = Handed(4, 5, 6, 9);

        // The writer has merged X up to 6, nothing missing: 4..6 are in its state now, 9 still queued.
        handed.Apply(StateOf(Us).Head(X, 6).Build());

        Assert.False(handed.Contains(X, 5));
        Assert.True(handed.Contains(X, 9));

        // And up to 9: nothing left for X.
        handed.Apply(StateOf(Us).Head(X, 9).Build());
        Assert.Equal(0, handed.ActorCount);
    }

    [Fact]
    public void Nothing_handed_leaves_the_state_as_it_is()
    {
        var state = StateOf(Us).Head(X, 10, (3, 4)).Build();

        Assert.Same(state, new HandedVersions().Apply(state));
    }
}
