using Corrosion.Client.Akka.Protocol;
using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>A subscription over Akka.Remote outlives a restart of its node.</summary>
public sealed class RestartProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-akka-client-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_subscription_resumes_after_the_node_restarts_with_no_change_lost_or_repeated()
    {
        var config = $"akka_api.addr = \"127.0.0.1:{ClientSystem.FreePort()}\"";
        var agent = await AgentProcess.StartAsync(_dir, config);
        await using var client = ClientSystem.Start(agent.AkkaAddress, resumeTimeout: Deadline);
        try
        {
            await client.Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "before", "restart");
            await using var subscription = await client.Client.SubscribeAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "restart"));
            using var cts = new CancellationTokenSource(Deadline * 2);
            await using var events = subscription.GetAsyncEnumerator(cts.Token);
            Assert.True(await events.MoveNextAsync());
            Assert.IsType<RowEvent>(events.Current);
            Assert.True(await events.MoveNextAsync());
            var eoq = Assert.IsType<EndOfQueryEvent>(events.Current);
            await Http.ExecuteAsync(agent.ApiAddress, "INSERT INTO machines (id, region) VALUES (?, ?)", "live", "restart");
            Assert.True(await events.MoveNextAsync());
            Assert.Equal("live", Assert.IsType<ChangeEvent>(events.Current).Cells[0].Text);

            Assert.Equal(0, await agent.StopAsync(Deadline));
            await agent.DisposeAsync();
            agent = await AgentProcess.StartAsync(_dir, config);
            await Http.ExecuteAsync(agent.ApiAddress, "INSERT INTO machines (id, region) VALUES (?, ?)", "after", "restart");

            Assert.True(await events.MoveNextAsync());
            var after = Assert.IsType<ChangeEvent>(events.Current);
            Assert.Equal("after", after.Cells[0].Text);
            Assert.Equal(eoq.ChangeId + 2, after.ChangeId);
            Assert.True(subscription.Resumes >= 1);
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
