using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

/// <summary>Worked examples of <see cref="SyncPlanner.ComputeNeeds"/>: we are node 1, they are node 2, X is origin node 9.</summary>
public sealed class SyncNeedsTests
{
    private static readonly ActorId Us = NodeId(1);
    private static readonly ActorId Them = NodeId(2);
    private static readonly ActorId X = NodeId(9);

    private static ActorNeeds? NeedsOfX(SyncState ours, SyncState theirs) =>
        SyncPlanner.ComputeNeeds(ours, theirs).SingleOrDefault(n => n.Actor == X);

    private static VersionRange[] Versions(params (long Start, long End)[] ranges) =>
        ranges.Select(r => new VersionRange(r.Start, r.End)).ToArray();

    private static PartialVersionNeed PartialOf(long version, params (long Start, long End)[] seqs) =>
        new(version, seqs.Select(s => new SeqRange(s.Start, s.End)).ToArray());

    [Fact]
    public void Versions_above_our_head_up_to_theirs_are_needed()
    {
        // we: X up to 5, nothing missing; they: X up to 8 → 6..8
        var needs = NeedsOfX(StateOf(Us).Head(X, 5).Build(), StateOf(Them).Head(X, 8).Build());

        Assert.Equal(Versions((6, 8)), needs!.Versions);
        Assert.Empty(needs.Partials);
    }

    [Fact]
    public void Our_gaps_below_our_head_are_needed_when_they_have_them()
    {
        // we: X up to 10, missing 3..4 and 7; they: X up to 10, nothing missing → 3..4, 7..7
        var needs = NeedsOfX(StateOf(Us).Head(X, 10, (3, 4), (7, 7)).Build(), StateOf(Them).Head(X, 10).Build());

        Assert.Equal(Versions((3, 4), (7, 7)), needs!.Versions);
    }

    [Fact]
    public void Their_gaps_are_not_asked_of_them()
    {
        // we: X up to 10, missing 3..6; they: X up to 12, missing 5 and 11
        // wanted {3..6} ∪ {11..12}, minus what they miss {5, 11} → 3..4, 6..6, 12..12
        var needs = NeedsOfX(
            StateOf(Us).Head(X, 10, (3, 6)).Build(),
            StateOf(Them).Head(X, 12, (5, 5), (11, 11)).Build());

        Assert.Equal(Versions((3, 4), (6, 6), (12, 12)), needs!.Versions);
    }

    [Fact]
    public void An_actor_we_never_heard_of_is_needed_from_version_one()
    {
        var needs = NeedsOfX(StateOf(Us).Build(), StateOf(Them).Head(X, 3).Build());

        Assert.Equal(Versions((1, 3)), needs!.Versions);
    }

    [Fact]
    public void Nothing_is_needed_when_they_are_behind_and_we_miss_nothing()
    {
        Assert.Empty(SyncPlanner.ComputeNeeds(
            StateOf(Us).Head(X, 9).Build(),
            StateOf(Them).Head(X, 4, (2, 3)).Build()));
    }

    [Fact]
    public void Our_own_versions_are_never_needed()
    {
        Assert.Empty(SyncPlanner.ComputeNeeds(
            StateOf(Us).Head(Us, 2).Build(),
            StateOf(Them).Head(Us, 7).Build()));
    }

    [Fact]
    public void Their_own_versions_are_needed_like_any_other_actor()
    {
        var needs = SyncPlanner.ComputeNeeds(StateOf(Us).Head(Them, 2).Build(), StateOf(Them).Head(Them, 4).Build());

        Assert.Equal(Versions((3, 4)), Assert.Single(needs).Versions);
    }

    [Fact]
    public void Missing_seqs_of_our_partial_version_are_needed_when_they_have_it_whole()
    {
        // we: X up to 10, version 4 partial, missing seqs 5..9 (and 4 listed as a gap too)
        // they: X up to 10 complete → partial 4: 5..9, and version 4 is not asked whole
        var needs = NeedsOfX(
            StateOf(Us).Head(X, 10, (4, 4), (8, 8)).Partial(X, 4, (5, 9)).Build(),
            StateOf(Them).Head(X, 10).Build());

        Assert.Equal(Versions((8, 8)), needs!.Versions);
        Assert.Equal([PartialOf(4, (5, 9))], needs.Partials);
    }

    [Fact]
    public void When_both_sides_hold_a_version_partially_only_the_seqs_they_have_are_needed()
    {
        // we miss seqs 0..2 and 5..9 of version 4; they miss 7..9 → 0..2, 5..6
        var needs = NeedsOfX(
            StateOf(Us).Head(X, 4).Partial(X, 4, (0, 2), (5, 9)).Build(),
            StateOf(Them).Head(X, 4).Partial(X, 4, (7, 9)).Build());

        Assert.Equal([PartialOf(4, (0, 2), (5, 6))], needs!.Partials);
        Assert.Empty(needs.Versions);
    }

    [Fact]
    public void Nothing_of_a_partial_version_is_needed_from_a_peer_missing_all_we_miss()
    {
        Assert.Empty(SyncPlanner.ComputeNeeds(
            StateOf(Us).Head(X, 4).Partial(X, 4, (5, 9)).Build(),
            StateOf(Them).Head(X, 4).Partial(X, 4, (0, 9)).Build()));
    }

    [Fact]
    public void A_version_they_hold_only_partially_is_not_asked_whole()
    {
        // we: X up to 3; they: X up to 6 with version 5 partial → 4, 6 whole; nothing of 5
        var needs = NeedsOfX(
            StateOf(Us).Head(X, 3).Build(),
            StateOf(Them).Head(X, 6).Partial(X, 5, (2, 3)).Build());

        Assert.Equal(Versions((4, 4), (6, 6)), needs!.Versions);
        Assert.Empty(needs.Partials);
    }

    [Fact]
    public void A_partial_version_they_lack_entirely_is_not_needed_from_them()
    {
        Assert.Empty(SyncPlanner.ComputeNeeds(
            StateOf(Us).Head(X, 4).Partial(X, 4, (5, 9)).Build(),
            StateOf(Them).Head(X, 4, (4, 4)).Build()));
    }

    [Fact]
    public void Needs_are_listed_per_actor_in_actor_order()
    {
        var a = NodeId(30);
        var b = NodeId(20);
        var needs = SyncPlanner.ComputeNeeds(StateOf(Us).Build(), StateOf(Them).Head(a, 1).Head(b, 2).Head(X, 0).Build());

        Assert.Equal([b, a], needs.Select(n => n.Actor));
    }

    /// <summary>The needs by brute force, version by version and seq by seq, in the shape of <see cref="SyncAssignmentTests.Elements"/>.</summary>
    private static HashSet<(ActorId, long, long)> NeedsByBruteForce(SyncState ours, SyncState theirs)
    {
        static bool InAny(IReadOnlyList<VersionRange>? ranges, long v) => ranges?.Any(r => r.Contains(v)) ?? false;

        var set = new HashSet<(ActorId, long, long)>();
        foreach (var (actor, theirHead) in theirs.Heads)
        {
            if (actor == ours.Actor)
            {
                continue;
            }

            var ourHead = ours.Heads.GetValueOrDefault(actor);
            var ourPartials = ours.PartialNeeds.GetValueOrDefault(actor);
            var theirPartials = theirs.PartialNeeds.GetValueOrDefault(actor);
            for (var v = 1L; v <= theirHead; v++)
            {
                var theyHaveWhole = !InAny(theirs.Needs.GetValueOrDefault(actor), v) && !(theirPartials?.ContainsKey(v) ?? false);
                if (ourPartials is not null && ourPartials.TryGetValue(v, out var ourMissing))
                {
                    foreach (var seqs in ourMissing)
                    {
                        for (var s = seqs.Start; s <= seqs.End; s++)
                        {
                            var theyHaveSeq = theyHaveWhole
                                || (theirPartials is not null && theirPartials.TryGetValue(v, out var theirMissing) && !theirMissing.Any(m => m.Contains(s)));
                            if (theyHaveSeq)
                            {
                                set.Add((actor, v, s));
                            }
                        }
                    }

                    continue;
                }

                var weLack = v > ourHead || InAny(ours.Needs.GetValueOrDefault(actor), v);
                if (weLack && theyHaveWhole)
                {
                    set.Add((actor, v, -1));
                }
            }
        }

        return set;
    }

    [Fact]
    public void Needs_match_a_version_by_version_brute_force_on_random_states()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var r = new Random(seed);
            var origins = Enumerable.Range(20, r.Next(1, 5)).Select(NodeId).ToArray();
            var ours = SyncAssignmentTests.RandomState(r, Us, [.. origins, Us]);
            var theirs = SyncAssignmentTests.RandomState(r, Them, [.. origins, Us, Them]);

            var computed = SyncAssignmentTests.Elements(SyncPlanner.ComputeNeeds(ours, theirs));
            var expected = NeedsByBruteForce(ours, theirs);

            return computed.SetEquals(expected)
                ? true
                : throw new InvalidOperationException(
                    $"seed {seed}: missing {string.Join(", ", expected.Except(computed).Take(5))}; extra {string.Join(", ", computed.Except(expected).Take(5))}");
        }).QuickCheckThrowOnFailure();
    }
}
