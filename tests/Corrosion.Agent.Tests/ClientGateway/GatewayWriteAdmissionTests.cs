using Akka.Actor;
using Corrosion.Agent.ClientGateway;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Client.Akka.Protocol;
using Corrosion.Agent.Replication;

namespace Corrosion.Agent.Tests.ClientGateway;

/// <summary>
/// The Akka client gateway's writes pass the node's write gate (cross-node back-pressure) before the
/// writer, as HTTP and in-process ones do; other requests are served while one waits.
/// </summary>
public sealed class GatewayWriteAdmissionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_gateway_transaction_waits_while_the_gate_is_closed_and_commits_when_it_opens()
    {
        await using var host = await StartAsync(TimeSpan.FromMinutes(5));
        var node = host.Node;
        var gateway = await node.System.ActorSelection($"/user/{NodeSupervisor.Name}/{ClientGatewayActor.Name}").ResolveOne(Deadline);
        var gate = node.Admission;
        await Replication.Admission.GateClosing.CloseWhenGossipStartedAsync(node);

        var writing = gateway.Ask<IClientMessage>(new Execute(null, [new SqlStatement("INSERT INTO items (id, name) VALUES (1, 'one')")]), Deadline);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (gate.Counters.Delayed == 0)
        {
            Assert.True(clock.Elapsed < Deadline, "the transaction never reached the gate");
            await Task.Delay(10);
        }

        // The gateway is not blocked by the waiting write: it answers a read meanwhile.
        var health = await gateway.Ask<IClientMessage>(new GetHealth(null), Deadline);
        Assert.IsType<HealthResult>(health);
        Assert.False(writing.IsCompleted);
        Assert.Equal(0, node.Store.Scalar("SELECT count(*) FROM items").AsInteger);

        gate.Open();
        var committed = Assert.IsType<TransactionCommitted>(await writing.WaitAsync(Deadline));
        Assert.Equal(1, committed.Version);
        Assert.Equal(1, node.Store.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(0, gate.Counters.TimedOut);
    }

    [Fact]
    public async Task An_open_gate_delays_no_gateway_transaction()
    {
        await using var host = await StartAsync(GossipOptions.DefaultMaxWriteWait);
        var node = host.Node;
        var gateway = await node.System.ActorSelection($"/user/{NodeSupervisor.Name}/{ClientGatewayActor.Name}").ResolveOne(Deadline);

        var committed = Assert.IsType<TransactionCommitted>(
            await gateway.Ask<IClientMessage>(new Execute(null, [new SqlStatement("INSERT INTO items (id, name) VALUES (1, 'one')")]), Deadline));
        Assert.Equal(1, committed.Version);
        Assert.Equal(0, node.Admission.Counters.Delayed);
    }

    // A node with its own actor system (Akka.Remote, for the gateway) on a free port.
    private static Task<TestNode> StartAsync(TimeSpan maxWriteWait) =>
        TestNode.StartAsync(
            options =>
            {
                options.AkkaApi.Enabled = true;
                options.AkkaApi.Addr = "127.0.0.1:0";
                options.EnableReplication = false;
                options.Replication = new GossipOptions { MaxWriteWait = maxWriteWait };
            },
            "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);");
}
