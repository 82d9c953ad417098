using Akka.Actor;
using Corrosion.Agent.Subscriptions;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Agent.ClientGateway;

/// <summary>One client watcher of a table's changed keys, in acknowledged batches.</summary>
internal sealed class TableWatchStreamActor : ClientStreamActor
{
    private readonly UpdateStream _stream;
    private bool _waiting;

    public TableWatchStreamActor(UpdateStream stream, IActorRef receiver, ClientStreamSettings settings)
        : base(receiver, settings)
    {
        _stream = stream;
    }

    protected override bool OnStreamMessage(object message)
    {
        switch (message)
        {
            case UpdatesReady:
                _waiting = false;
                Pump();
                return true;
            case UpdatesEnded:
                Fail(new ClientError(ClientErrorCode.Unavailable,
                    $"the node ended the watch of {_stream.Table} (it is stopping, or the watcher fell behind); watch again"));
                return true;
            default:
                return false;
        }
    }

    /// <param name="stream">The attached watch (the actor detaches it when it stops).</param>
    /// <param name="receiver">The client's watcher.</param>
    /// <param name="settings">Batch size and window.</param>
    public static Props Props(UpdateStream stream, IActorRef receiver, ClientStreamSettings settings) =>
        Akka.Actor.Props.Create(() => new TableWatchStreamActor(stream, receiver, settings));

    protected override void PreStart()
    {
        base.PreStart();
        Send(new TableWatchStarted(_stream.Table, [.. _stream.KeyColumns]));
        Pump();
    }

    protected override void Pump()
    {
        while (HasRoom)
        {
            var updates = new List<ClientKeyUpdate>();
            while (updates.Count < Settings.BatchRows && _stream.Notifications.TryRead(out var update))
            {
                updates.Add(new ClientKeyUpdate(update.Kind == UpdateKind.Delete, ClientValues.ToClient(update.Pk)));
            }

            if (updates.Count == 0)
            {
                if (!_waiting)
                {
                    _waiting = true;
                    _stream.Notifications.WaitToReadAsync().AsTask().ContinueWith(
                        static t => t.IsCompletedSuccessfully && t.Result ? UpdatesReady.Instance : (object)UpdatesEnded.Instance,
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default).PipeTo(Self);
                }

                return;
            }

            SendBatch(seq => new TableUpdates(_stream.Table, seq, updates));
        }
    }

    // Detaching only tells the subscription actor; the returned task is already complete.
    protected override void PostStop() => _stream.DisposeAsync().AsTask().Wait();

    private sealed class UpdatesReady
    {
        public static readonly UpdatesReady Instance = new();
    }

    private sealed class UpdatesEnded
    {
        public static readonly UpdatesEnded Instance = new();
    }
}
