using Corrosion.Actors;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

/// <summary>
/// The gossip actor's subscription to storage events: a child that wraps each event into the
/// parent's protocol. Waits a bounded time for room in the parent's mailbox, then drops the event
/// (a lost broadcast is recovered by sync) so a stopping parent never waits on it.
/// </summary>
internal sealed class StorageEventForwarder(ActorRef<GossipCommand> parent) : Actor<StorageEvent>
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);

    protected override async ValueTask OnReceive(StorageEvent message)
    {
        var wrapped = new StorageEventReceived(message);
        if (parent.TryTell(wrapped))
        {
            return;
        }

        using var wait = new CancellationTokenSource(MaxWait);
        try
        {
            await parent.TellAsync(wrapped, wait.Token);
        }
        catch (OperationCanceledException)
        {
            GossipLog.StorageEventDropped(Context.Log, message.GetType().Name);
        }
    }
}
