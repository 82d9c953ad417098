using System.Diagnostics;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>Reports each (actor, version) a node's store applies, with the Stopwatch timestamp it was seen.</summary>
internal sealed class VisibilityListener : ReceiveActor
{
    public VisibilityListener(Action<ActorId, long, long> seen)
    {
        Receive<ChangesCommitted>(committed => seen(committed.Actor, committed.Version, Stopwatch.GetTimestamp()));
        Receive<ChangesMerged>(merged =>
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var applied in merged.Result.Applied)
            {
                for (var v = applied.Versions.Start; v <= applied.Versions.End; v++)
                {
                    seen(applied.Actor, v, now);
                }
            }
        });
    }

    public static Props Props(Action<ActorId, long, long> seen) => Akka.Actor.Props.Create(() => new VisibilityListener(seen));
}

/// <summary>Attaches <see cref="VisibilityListener"/>s to nodes.</summary>
internal static class Visibility
{
    /// <summary>Subscribes a listener (unbounded mailbox: the writer never waits on it) to the node's writer.</summary>
    public static void Attach(CorrosionNode node, Action<ActorId, long, long> seen)
    {
        var listener = node.System.ActorOf(VisibilityListener.Props(seen), "bench-visibility");
        node.Actors.Storage.Tell(new SubscribeStorageEvents(listener.Typed<StorageEvent>()));
    }
}
