using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Storage;

namespace Corrosion.Agent.Tests.Hosting;

/// <summary>The in-process client's writes pass the node's write gate (cross-node back-pressure) before the writer, as HTTP ones do.</summary>
public sealed class EmbeddedWriteAdmissionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_local_client_transaction_waits_while_the_gate_is_closed_and_commits_when_it_opens()
    {
        await using var host = await EmbeddedHost.StartAsync(new Dictionary<string, string?> { ["gossip:replication:max_write_wait"] = "5m" });
        var gate = host.Node.Admission;
        await Replication.Admission.GateClosing.CloseWhenGossipStartedAsync(host.Node);

        var writing = host.Client.ExecuteAsync(new Statement("INSERT INTO machines (id, region) VALUES ('m1', 'ams')"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (gate.Counters.Delayed == 0)
        {
            Assert.True(clock.Elapsed < Deadline, "the transaction never reached the gate");
            await Task.Delay(10);
        }

        Assert.False(writing.IsCompleted);
        Assert.Equal(0, host.Node.Store.Scalar("SELECT count(*) FROM machines").AsInteger);
        gate.Open();

        var result = await writing.WaitAsync(Deadline);
        Assert.Equal(1, result.Version);
        Assert.Equal(0, gate.Counters.TimedOut);
    }
}
