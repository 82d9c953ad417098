using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>A client given several nodes moves past one that does not answer.</summary>
public sealed class FailoverProcessTests : IClassFixture<SharedAgent>
{
    private readonly SharedAgent _node;

    public FailoverProcessTests(SharedAgent node) => _node = node;

    [Fact]
    public async Task A_node_that_does_not_answer_is_skipped_for_the_next()
    {
        var dead = $"akka.tcp://corrosion@127.0.0.1:{ClientSystem.FreePort()}";
        await using var client = ClientSystem.Start(dead, moreNodes: _node.Agent.AkkaAddress);

        var result = await client.Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "failover-1", "ams");

        Assert.NotNull(result.Version);
        Assert.Equal(_node.Agent.AkkaAddress, client.Client.CurrentNode);
    }
}
