using Akka.Actor;
using Corrosion.Agent.Node;

namespace Corrosion.Agent.Tests.Replication.Admission;

/// <summary>Closing a started node's write gate from a test.</summary>
internal static class GateClosing
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Closes <paramref name="node"/>'s write gate once its gossip actor (when it has one) has started:
    /// the actor opens the gate as it starts (a new incarnation knows no peer's lag), which may happen
    /// after the node is returned and would undo a close made earlier. The actor answers Identify only
    /// after its start has run.
    /// </summary>
    public static async Task CloseWhenGossipStartedAsync(CorrosionNode node)
    {
        if (node.Actors.Gossip is { } gossip)
        {
            var identity = await gossip.Untyped.Ask<ActorIdentity>(new Identify(null), Deadline);
            Assert.NotNull(identity.Subject);
        }

        node.Admission.Close();
    }
}
