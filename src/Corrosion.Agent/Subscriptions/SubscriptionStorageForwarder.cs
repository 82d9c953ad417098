using Corrosion.Actors;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The subscription actor's listener for storage events: a child that wraps each event into the
/// parent's protocol. It waits a bounded time for room in the parent's mailbox (so a stopping parent
/// never waits on it); an event it had to drop is reported with the next one, and the parent then
/// re-evaluates every subscription, so no change is missed.
/// </summary>
internal sealed class SubscriptionStorageForwarder(ActorRef<SubscriptionCommand> parent) : Actor<StorageEvent>
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(1);
    private bool _lost;

    protected override async ValueTask OnReceive(StorageEvent message)
    {
        var wrapped = new StorageEventReceived(message, _lost);
        if (parent.TryTell(wrapped))
        {
            _lost = false;
            return;
        }

        using var wait = new CancellationTokenSource(MaxWait);
        try
        {
            await parent.TellAsync(wrapped, wait.Token);
            _lost = false;
        }
        catch (OperationCanceledException)
        {
            _lost = true;
        }
    }
}
