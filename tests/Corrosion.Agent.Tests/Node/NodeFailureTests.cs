using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Api;

namespace Corrosion.Agent.Tests.Node;

public sealed class NodeFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_node_whose_actor_keeps_failing_stops_with_the_cause_and_its_actor_system_terminates()
    {
        // SWIM's UDP port is taken, so the membership actor fails on every start.
        using var blocker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)blocker.Client.LocalEndPoint!).Port;
        await using var node = await TestNode.StartAsync(options =>
        {
            options.EnableReplication = false;
            options.Gossip = options.Gossip with { BindEndPoint = new IPEndPoint(IPAddress.Loopback, port) };
            options.Supervision = new SupervisionOptions { MinBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(20), MaxRestarts = 2 };
        });

        var cause = await node.Node.WhenTerminated.WaitAsync(Timeout);

        var failed = Assert.IsType<ActorFailedException>(cause);
        Assert.Equal("membership", failed.Actor);
        Assert.Same(cause, node.Node.TerminationCause);
        await node.Node.System.WhenTerminated.WaitAsync(Timeout);
    }
}
