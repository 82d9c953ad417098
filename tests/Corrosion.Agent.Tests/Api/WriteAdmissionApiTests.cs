using System.Net;
using System.Text.Json;

namespace Corrosion.Agent.Tests.Api;

/// <summary><c>POST /v1/transactions</c> passes the node's write gate (cross-node back-pressure) before the writer.</summary>
public sealed class WriteAdmissionApiTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static async Task<long> CountAsync(TestNode node)
    {
        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", JsonSerializer.Serialize("SELECT count(*) FROM items"));
        return lines.Single(l => l.TryGetProperty("row", out _)).GetProperty("row")[1][0].GetInt64();
    }

    [Fact]
    public async Task A_transaction_waits_while_the_gate_is_closed_and_commits_when_it_opens()
    {
        await using var node = await TestNode.StartAsync(o => o.Replication = o.Replication with { MaxWriteWait = TimeSpan.FromMinutes(1) }, schema: Schema);
        var gate = node.Node.Admission;
        await Replication.Admission.GateClosing.CloseWhenGossipStartedAsync(node.Node);

        var posting = HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id, name) VALUES (1, 'x')"]""");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (gate.Counters.Delayed == 0)
        {
            Assert.True(clock.Elapsed < Deadline, "the transaction never reached the gate");
            await Task.Delay(10);
        }

        // Held at the gate: the writer has not seen it.
        Assert.False(posting.IsCompleted);
        Assert.Equal(0, await CountAsync(node));
        gate.Open();

        var (status, _) = await posting.WaitAsync(Deadline);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, await CountAsync(node));
        Assert.Equal(0, gate.Counters.TimedOut);
    }
}
