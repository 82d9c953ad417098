using System.Diagnostics;
using Corrosion.Actors;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>Reports each (actor, version) a node's store applies, with the Stopwatch timestamp it was seen.</summary>
internal sealed class VisibilityListener(Action<ActorId, long, long> seen) : Actor<StorageEvent>
{
    public static void Attach(CorrosionNode node, Action<ActorId, long, long> seen)
    {
        var listener = node.System.Spawn(() => new VisibilityListener(seen), "bench-visibility", new MailboxOptions(1 << 16, MailboxFullMode.Wait));
        node.Actors.Storage.Tell(new SubscribeStorageEvents(listener));
    }

    protected override ValueTask OnReceive(StorageEvent message)
    {
        var now = Stopwatch.GetTimestamp();
        switch (message)
        {
            case ChangesCommitted committed:
                seen(committed.Actor, committed.Version, now);
                break;
            case ChangesMerged merged:
                foreach (var applied in merged.Result.Applied)
                {
                    for (var v = applied.Versions.Start; v <= applied.Versions.End; v++)
                    {
                        seen(applied.Actor, v, now);
                    }
                }

                break;
        }

        return ValueTask.CompletedTask;
    }
}
