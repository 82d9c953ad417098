namespace Corrosion.Simulation.Tests;

public sealed class SimulatedNetworkTests
{
    private static (DiscreteEventScheduler Scheduler, SimulatedNetwork<int> Network, List<(long At, int From, int To, int Msg)> Received) Build(int seed, int nodes = 4)
    {
        var scheduler = new DiscreteEventScheduler();
        var network = new SimulatedNetwork<int>(scheduler, new Random(seed));
        var received = new List<(long, int, int, int)>();
        for (var i = 0; i < nodes; i++)
        {
            var me = i;
            network.Attach(i, (from, msg) => received.Add((scheduler.NowMs, from, me, msg)));
        }

        return (scheduler, network, received);
    }

    [Fact]
    public void Messages_arrive_after_a_latency_within_the_distribution()
    {
        var (s, net, got) = Build(1);
        net.Latency = new LatencyDistribution(5, 10);
        for (var i = 0; i < 100; i++)
        {
            net.Send(0, 1, i);
        }

        s.RunFor(1_000);
        Assert.Equal(100, got.Count);
        Assert.All(got, g => Assert.InRange(g.At, 5, 10));
    }

    [Fact]
    public void Loss_rate_drops_about_that_share_of_messages()
    {
        var (s, net, got) = Build(2);
        net.LossRate = 0.2;
        for (var i = 0; i < 10_000; i++)
        {
            net.Send(0, 1, i);
        }

        s.RunFor(1_000);
        Assert.InRange(got.Count, 7_700, 8_300);
        Assert.Equal(10_000 - got.Count, net.Lost);
    }

    [Fact]
    public void Partitions_block_messages_between_sides_until_healed()
    {
        var (s, net, got) = Build(3);
        net.Partition([0, 1], [2, 3]);
        net.Send(0, 1, 1);
        net.Send(0, 2, 2);
        net.Send(3, 2, 3);
        s.RunFor(100);
        Assert.Equal([1, 3], got.Select(g => g.Msg).Order());

        net.Heal();
        net.Send(0, 2, 4);
        s.RunFor(100);
        Assert.Contains(got, g => g.Msg == 4);
    }

    [Fact]
    public void Crashed_nodes_neither_send_nor_receive_including_messages_in_flight()
    {
        var (s, net, got) = Build(4);
        net.Latency = LatencyDistribution.Fixed(10);
        net.Send(0, 1, 1);
        net.SetUp(1, false);
        net.Send(1, 0, 2);
        s.RunFor(100);
        Assert.Empty(got);
        Assert.Equal(2, net.Blocked);
    }

    [Fact]
    public void Slow_node_receives_late()
    {
        var (s, net, got) = Build(5);
        net.Latency = LatencyDistribution.Zero;
        net.SetProcessingDelay(1, LatencyDistribution.Fixed(700));
        net.Send(0, 1, 1);
        net.Send(1, 0, 2);
        s.RunFor(1_000);
        Assert.Equal(700, got.Single(g => g.To == 1).At);
        Assert.Equal(0, got.Single(g => g.To == 0).At);
    }

    [Fact]
    public void Same_seed_gives_the_same_deliveries()
    {
        static string Run(int seed)
        {
            var (s, net, got) = Build(seed);
            net.LossRate = 0.3;
            net.Latency = LatencyDistribution.Wan;
            for (var i = 0; i < 500; i++)
            {
                net.Send(i % 4, (i + 1) % 4, i);
            }

            s.RunFor(10_000);
            return string.Join(';', got);
        }

        Assert.Equal(Run(9), Run(9));
        Assert.NotEqual(Run(9), Run(10));
    }
}
