using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class SyncAssignmentTests
{
    private static readonly ActorId Us = NodeId(1);
    private static readonly ActorId X = NodeId(9);

    private static SyncPlanner Planner(int maxVersions = 100) =>
        new(Us, new SyncOptions { MaxVersionsPerRequest = maxVersions }, new Random(1));

    private static List<VersionRange> VersionsAskedOf(IReadOnlyList<SyncPeerRequest> requests, ActorId peer) =>
        requests.SingleOrDefault(r => r.Peer == peer)?.Needs.SelectMany(n => n.Versions).ToList() ?? [];

    /// <summary>Runs <paramref name="plan"/> on its own thread; a planner that loops over a huge head fails here instead of hanging the run.</summary>
    private static IReadOnlyList<SyncPeerRequest> Within10Seconds(Func<IReadOnlyList<SyncPeerRequest>> plan)
    {
        var task = Task.Factory.StartNew(plan, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(TimeSpan.FromSeconds(10)), "the planner did not finish within 10 s");
        return task.Result;
    }

    [Theory]
    [InlineData(34_359_738_382L)]
    [InlineData(long.MaxValue)]
    public void A_peer_announcing_a_huge_head_is_asked_for_one_rounds_cap_of_it(long head)
    {
        // The gossip fuzz campaign's stranger left a head of 34359738382; a head may be any version up to long.MaxValue.
        var planner = new SyncPlanner(Us, new SyncOptions { MaxVersionsPerRequest = 100, MaxVersionsPerRound = 1_000 }, new Random(1));
        var ours = StateOf(Us).Head(X, 50).Build();
        var peer = StateOf(NodeId(2)).Head(X, head).Build();

        var asked = VersionsAskedOf(Within10Seconds(() => planner.AssignRequests(ours, [peer])), NodeId(2));

        Assert.Equal(10, asked.Count);
        Assert.All(asked, r => Assert.Equal(100, r.Count));
        Assert.Equal(new VersionRange(51, 150), asked[0]);
        Assert.Equal(new VersionRange(951, 1050), asked[^1]);
    }

    [Fact]
    public void Each_peer_is_asked_for_at_most_the_rounds_cap()
    {
        var planner = new SyncPlanner(Us, new SyncOptions { MaxVersionsPerRequest = 10, MaxVersionsPerRound = 30 }, new Random(1));
        var ours = StateOf(Us).Build();
        var p = StateOf(NodeId(2)).Head(X, 1_000).Build();
        var q = StateOf(NodeId(3)).Head(X, 1_000).Build();

        var requests = planner.AssignRequests(ours, [p, q]);

        Assert.Equal(30, VersionsAskedOf(requests, NodeId(2)).Sum(r => r.Count));
        Assert.Equal(30, VersionsAskedOf(requests, NodeId(3)).Sum(r => r.Count));
        // Together they cover the lowest 60 versions, once each.
        Assert.Equal(
            Enumerable.Range(1, 60).Select(static v => (long)v),
            requests.SelectMany(r => r.Needs.SelectMany(n => n.Versions)).SelectMany(static r => LongRange(r.Start, r.End)).Order());
    }

    [Fact]
    public void Versions_up_to_long_MaxValue_are_asked_without_overflow()
    {
        var ours = StateOf(Us).Head(X, long.MaxValue - 5).Build();
        var p = StateOf(NodeId(2)).Head(X, long.MaxValue).Build();
        var q = StateOf(NodeId(3)).Head(X, long.MaxValue - 2).Build();

        var requests = Within10Seconds(() => Planner(maxVersions: 2).AssignRequests(ours, [p, q]));

        var asked = requests.SelectMany(r => r.Needs.SelectMany(n => n.Versions).Select(v => (r.Peer, v))).ToList();
        Assert.Equal(5, asked.Sum(x => x.v.Count));
        Assert.All(asked, x => Assert.InRange(x.v.Start, long.MaxValue - 4, long.MaxValue));
        Assert.Contains(asked, x => x.Peer == NodeId(2) && x.v.End == long.MaxValue);
        Assert.All(asked.Where(x => x.Peer == NodeId(3)), x => Assert.True(x.v.End <= long.MaxValue - 2));
    }

    private static IEnumerable<long> LongRange(long start, long end)
    {
        for (var v = start; v <= end; v++)
        {
            yield return v;
        }
    }

    [Fact]
    public void Needs_had_by_two_peers_are_split_in_capped_chunks_between_them()
    {
        var ours = StateOf(Us).Build();
        var p = StateOf(NodeId(2)).Head(X, 250).Build();
        var q = StateOf(NodeId(3)).Head(X, 250).Build();

        var requests = Planner(maxVersions: 100).AssignRequests(ours, [p, q]);

        Assert.Equal([new VersionRange(1, 100), new VersionRange(201, 250)], VersionsAskedOf(requests, NodeId(2)));
        Assert.Equal([new VersionRange(101, 200)], VersionsAskedOf(requests, NodeId(3)));
    }

    [Fact]
    public void Versions_only_one_peer_has_are_asked_of_that_peer()
    {
        var ours = StateOf(Us).Build();
        var shortPeer = StateOf(NodeId(2)).Head(X, 50).Build();
        var longPeer = StateOf(NodeId(3)).Head(X, 80).Build();

        var requests = Planner(maxVersions: 10).AssignRequests(ours, [shortPeer, longPeer]);

        var toShort = VersionsAskedOf(requests, NodeId(2));
        var toLong = VersionsAskedOf(requests, NodeId(3));
        Assert.All(toShort, r => Assert.True(r.End <= 50));
        Assert.Contains(new VersionRange(51, 60), toLong);
        Assert.Equal(80, toShort.Sum(r => r.Count) + toLong.Sum(r => r.Count));
        Assert.Equal(40, toShort.Sum(r => r.Count)); // 80 versions, even split
    }

    [Fact]
    public void Peers_with_nothing_to_give_get_no_request()
    {
        var ours = StateOf(Us).Head(X, 5).Build();
        var behind = StateOf(NodeId(2)).Head(X, 3).Build();
        var ahead = StateOf(NodeId(3)).Head(X, 7).Build();

        var request = Assert.Single(Planner().AssignRequests(ours, [behind, ahead]));

        Assert.Equal(NodeId(3), request.Peer);
        Assert.Equal([new VersionRange(6, 7)], request.Needs.Single().Versions);
    }

    [Fact]
    public void Missing_seqs_of_a_partial_version_are_split_between_peers_that_have_them()
    {
        // we miss seqs 0..9 of version 4; peer 2 misses 5..9 itself, peer 3 has it whole
        var ours = StateOf(Us).Head(X, 4).Partial(X, 4, (0, 9)).Build();
        var p = StateOf(NodeId(2)).Head(X, 4).Partial(X, 4, (5, 9)).Build();
        var q = StateOf(NodeId(3)).Head(X, 4).Build();

        var requests = Planner().AssignRequests(ours, [p, q]);

        var seqs = requests.SelectMany(r => r.Needs.SelectMany(n => n.Partials).SelectMany(pn => pn.Seqs.Select(s => (r.Peer, s)))).ToList();
        Assert.Equal(10, seqs.Sum(x => x.s.Count));
        Assert.All(seqs.Where(x => x.Peer == NodeId(2)), x => Assert.True(x.s.End <= 4));
        Assert.Equal(2, seqs.Select(x => x.Peer).Distinct().Count()); // both peers take a share
    }

    [Fact]
    public void Our_own_state_and_repeated_peers_are_ignored()
    {
        var ours = StateOf(Us).Build();
        var p = StateOf(NodeId(2)).Head(X, 3).Build();

        var request = Assert.Single(Planner().AssignRequests(ours, [p, StateOf(Us).Head(X, 9).Build(), p]));

        Assert.Equal(NodeId(2), request.Peer);
        Assert.Equal(3, request.VersionCount);
    }

    /// <summary>A random but well-formed sync state: heads, gaps below them, partial versions outside the gaps.</summary>
    internal static SyncState RandomState(Random r, ActorId self, ActorId[] origins)
    {
        var builder = StateOf(self);
        foreach (var origin in origins)
        {
            if (r.Next(4) == 0)
            {
                continue;
            }

            var head = r.Next(0, 60);
            var gaps = new List<(long, long)>();
            for (var v = 1L; v <= head; v++)
            {
                if (r.Next(5) == 0)
                {
                    var end = Math.Min(head, v + r.Next(0, 8));
                    gaps.Add((v, end));
                    v = end + 1; // leave a version between gaps so the ranges stay disjoint
                }
            }

            builder.Head(origin, head, gaps.ToArray());
            for (var v = 1L; v <= head; v++)
            {
                if (!gaps.Any(g => g.Item1 <= v && v <= g.Item2) && r.Next(8) == 0)
                {
                    var start = r.Next(0, 10);
                    builder.Partial(origin, v, (start, start + r.Next(0, 8)));
                }
            }
        }

        return builder.Build();
    }

    internal static HashSet<(ActorId, long, long)> Elements(IEnumerable<ActorNeeds> needs)
    {
        // Whole versions as (actor, version, -1); partial seqs as (actor, version, seq).
        var set = new HashSet<(ActorId, long, long)>();
        foreach (var n in needs)
        {
            foreach (var range in n.Versions)
            {
                for (var v = range.Start; v <= range.End; v++)
                {
                    set.Add((n.Actor, v, -1));
                }
            }

            foreach (var partial in n.Partials)
            {
                foreach (var seqs in partial.Seqs)
                {
                    for (var s = seqs.Start; s <= seqs.End; s++)
                    {
                        set.Add((n.Actor, partial.Version, s));
                    }
                }
            }
        }

        return set;
    }

    private static string? CheckRandomAssignment(int seed)
    {
        var r = new Random(seed);
        var origins = Enumerable.Range(20, r.Next(1, 5)).Select(NodeId).ToArray();
        var ours = RandomState(r, Us, origins);
        var peers = Enumerable.Range(2, r.Next(1, 6)).Select(i => RandomState(r, NodeId(i), [.. origins, NodeId(i)])).ToList();
        var maxVersions = r.Next(1, 12);

        var requests = Planner(maxVersions).AssignRequests(ours, peers);

        var needed = new HashSet<(ActorId, long, long)>();
        var asked = new HashSet<(ActorId, long, long)>();
        foreach (var peer in peers)
        {
            var has = Elements(SyncPlanner.ComputeNeeds(ours, peer));
            needed.UnionWith(has);
            var request = requests.SingleOrDefault(q => q.Peer == peer.Actor);
            if (request is null)
            {
                continue;
            }

            var mine = Elements(request.Needs);
            if (!mine.IsSubsetOf(has))
            {
                return $"seed {seed}: {peer.Actor} asked for what it lacks: {string.Join(", ", mine.Except(has).Take(5))}";
            }

            if (asked.Overlaps(mine))
            {
                return $"seed {seed}: {peer.Actor} asked for what another peer is asked: {string.Join(", ", asked.Intersect(mine).Take(5))}";
            }

            asked.UnionWith(mine);
            var big = request.Needs.SelectMany(n => n.Versions).Where(v => v.Count > maxVersions).ToList();
            if (big.Count > 0)
            {
                return $"seed {seed}: range {big[0]} larger than {maxVersions}";
            }
        }

        return needed.SetEquals(asked) ? null : $"seed {seed}: asked {asked.Count} elements, needed {needed.Count}";
    }

    [Fact]
    public void Assigned_requests_cover_the_needs_exactly_are_disjoint_and_ask_only_what_each_peer_has()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<int>(), seed =>
        {
            var error = CheckRandomAssignment(seed);
            return error is null ? true : throw new InvalidOperationException(error);
        }).QuickCheckThrowOnFailure();
    }
}
