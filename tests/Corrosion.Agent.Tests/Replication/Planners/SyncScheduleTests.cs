using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class SyncScheduleTests
{
    private static SyncPlanner Planner(int seed = 1, SyncOptions? options = null) =>
        new(NodeId(0), options ?? new SyncOptions(), new Random(seed));

    [Fact]
    public void Delays_stay_within_min_and_max_whatever_the_rounds_found()
    {
        var planner = Planner();
        var r = new Random(7);
        for (var i = 0; i < 2_000; i++)
        {
            planner.RoundFinished(foundNeeds: r.Next(3) == 0);
            Assert.InRange(planner.NextSyncDelay(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));
        }
    }

    [Fact]
    public void After_a_round_that_found_needs_the_next_round_comes_within_twice_the_minimum()
    {
        var planner = Planner();
        for (var i = 0; i < 10; i++)
        {
            planner.RoundFinished(foundNeeds: false);
        }

        planner.RoundFinished(foundNeeds: true);

        for (var i = 0; i < 100; i++)
        {
            Assert.InRange(planner.NextSyncDelay(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        }
    }

    [Fact]
    public void A_reset_brings_the_longest_pause_back_to_twice_the_minimum()
    {
        var planner = Planner();
        for (var i = 0; i < 10; i++)
        {
            planner.RoundFinished(foundNeeds: false);
        }

        Assert.Equal(TimeSpan.FromSeconds(15), planner.CurrentMaxDelay);

        planner.ResetBackoff();

        Assert.Equal(TimeSpan.FromSeconds(2), planner.CurrentMaxDelay);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.InRange(planner.NextSyncDelay(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void Rounds_that_find_nothing_stretch_the_pause_up_to_the_maximum()
    {
        var planner = Planner();
        var ceilings = new List<TimeSpan> { planner.CurrentMaxDelay };
        for (var i = 0; i < 6; i++)
        {
            planner.RoundFinished(foundNeeds: false);
            ceilings.Add(planner.CurrentMaxDelay);
        }

        Assert.Equal([2, 4, 8, 15, 15, 15, 15], ceilings.Select(c => c.TotalSeconds));
        var delays = Enumerable.Range(0, 200).Select(_ => planner.NextSyncDelay()).ToList();
        Assert.Contains(delays, d => d > TimeSpan.FromSeconds(10)); // the longer pauses are actually used
        Assert.True(delays.Distinct().Count() > 100, "delays are jittered");
    }

    [Fact]
    public void Configured_bounds_are_respected()
    {
        var options = new SyncOptions { MinInterval = TimeSpan.FromMilliseconds(300), MaxInterval = TimeSpan.FromMilliseconds(500) };
        var planner = Planner(options: options);
        for (var i = 0; i < 200; i++)
        {
            planner.RoundFinished(foundNeeds: i % 7 == 0);
            Assert.InRange(planner.NextSyncDelay(), options.MinInterval, options.MaxInterval);
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(50, 3)]
    [InlineData(399, 3)]
    [InlineData(400, 4)]
    [InlineData(999, 9)]
    [InlineData(1_000, 10)]
    [InlineData(50_000, 10)]
    public void Peer_count_is_cluster_size_over_100_clamped_to_3_and_10(int clusterSize, int peers)
    {
        Assert.Equal(peers, Planner().PeerCount(clusterSize));
    }

    [Fact]
    public void Chosen_peers_are_distinct_random_members_other_than_this_node()
    {
        var members = Enumerable.Range(0, 500).Select(NodeId).ToList(); // includes this node (0)
        var everChosen = new HashSet<ActorId>();
        var planner = Planner(seed: 3);
        for (var round = 0; round < 50; round++)
        {
            var chosen = planner.ChoosePeers(members);

            Assert.Equal(5, chosen.Count);
            Assert.Equal(5, chosen.Distinct().Count());
            Assert.DoesNotContain(NodeId(0), chosen);
            everChosen.UnionWith(chosen);
        }

        Assert.True(everChosen.Count > 100, $"only {everChosen.Count} distinct peers in 50 rounds");
    }

    [Fact]
    public void Small_clusters_sync_with_every_other_member()
    {
        var chosen = Planner().ChoosePeers([NodeId(0), NodeId(1), NodeId(2)]);

        Assert.Equal([NodeId(1), NodeId(2)], chosen.Order());
    }

    [Fact]
    public void Peers_can_be_chosen_from_any_member_type()
    {
        var members = Enumerable.Range(0, 20).Select(i => (Id: NodeId(i), Name: $"n{i}")).ToList();

        var chosen = Planner().ChoosePeers(members, m => m.Id);

        Assert.Equal(3, chosen.Count);
        Assert.DoesNotContain(chosen, m => m.Id == NodeId(0));
    }

    [Theory]
    [InlineData(0, 15, 100, 3, 10)]
    [InlineData(2, 1, 100, 3, 10)]
    [InlineData(1, 15, 0, 3, 10)]
    [InlineData(1, 15, 100, 0, 10)]
    [InlineData(1, 15, 100, 5, 4)]
    public void Options_out_of_range_are_rejected(int minSeconds, int maxSeconds, int maxVersions, int minPeers, int maxPeers)
    {
        var options = new SyncOptions
        {
            MinInterval = TimeSpan.FromSeconds(minSeconds),
            MaxInterval = TimeSpan.FromSeconds(maxSeconds),
            MaxVersionsPerRequest = maxVersions,
            MinPeers = minPeers,
            MaxPeers = maxPeers,
        };

        Assert.Throws<ArgumentException>(() => options.Validate());
    }
}
