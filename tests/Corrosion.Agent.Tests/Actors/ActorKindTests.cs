using Akka.Actor;
using Corrosion.Agent.Node;

namespace Corrosion.Agent.Tests.Actors;

/// <summary>
/// The node's actors dispatch in <c>OnReceive</c> (<see cref="UntypedActor"/>): a <see cref="ReceiveActor"/>
/// compiles its handlers into expression trees and dynamic methods per actor type when the first one
/// is made, which an idle node paid ~1 MiB of resident memory for (bench/RESULTS.md, session 5).
/// </summary>
public sealed class ActorKindTests
{
    [Fact]
    public void No_actor_of_the_node_is_a_ReceiveActor()
    {
        var actors = typeof(NodeSupervisor).Assembly.GetTypes()
            .Where(t => typeof(ActorBase).IsAssignableFrom(t))
            .ToList();

        Assert.Contains(typeof(NodeSupervisor), actors); // the scan sees the node's actors
        Assert.True(actors.Count >= 10, $"only {actors.Count} actor types found");
        Assert.Empty(actors.Where(t => typeof(ReceiveActor).IsAssignableFrom(t)).Select(t => t.FullName));
    }
}
