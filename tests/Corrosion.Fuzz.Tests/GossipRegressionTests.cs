using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;

namespace Corrosion.Fuzz.Tests;

/// <summary>Inputs the gossip campaign found, kept as named tests.</summary>
public sealed class GossipRegressionTests
{
    /// <summary>
    /// Gossip campaign, seed 20261206, first 1,000 inputs: a stranger's changeset naming an internal
    /// table (<c>__corro_versions</c>) threw out of the merge as a SqlException, which the storage actor
    /// did not treat as a bad batch, so its supervisor restarted the node's only writer.
    /// </summary>
    [Theory]
    [InlineData("__corro_versions")]
    [InlineData("nope")]
    public async Task A_strangers_change_for_a_table_we_do_not_replicate_is_refused_without_restarting_the_writer(string table)
    {
        await using var node = await FuzzNode.StartAsync(replication: true);
        var stranger = ActorId.NewId();
        var bad = new ChangesetFull(stranger, 1, [new Change(table, [SqlValue.FromInteger(1)], "x", SqlValue.FromText("v"), 1, 1, stranger, 1, 0)], new SeqRange(0, 0), 0, 1);
        await GossipFuzzTests.SendFrameAsync(node, ReplicationCodec.Encode(7, new BroadcastChangeset(bad)));

        await GossipFuzzTests.AppliesAGoodChangesetAsync(node);
        Assert.Empty(node.Errors.Entries);
        Assert.Equal(FuzzNode.SeededGuardRows, node.GuardRows());
    }
}
