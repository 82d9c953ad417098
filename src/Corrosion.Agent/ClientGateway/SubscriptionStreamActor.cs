using Akka.Actor;
using Corrosion.Agent.Subscriptions;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Agent.ClientGateway;

/// <summary>
/// One client listener of a subscription: the <see cref="SubscriptionStream"/> the subscription actor
/// attached (rows, end of query, replayed changes, then live changes from its bounded channel) sent as
/// numbered batches within the window. When the listener falls behind, the channel overflows and the
/// subscription actor ends it; the listener is then cut off with <see cref="ClientErrorCode.TooSlow"/>
/// after the changes already read, and resumes from the last change id it saw: nothing is skipped.
/// </summary>
internal sealed class SubscriptionStreamActor : ClientStreamActor
{
    private readonly SubscriptionStream _stream;
    private int _row;
    private bool _endOfQuerySent;
    private int _replayed;
    private bool _waiting;
    private long _lastChangeId;

    public SubscriptionStreamActor(SubscriptionStream stream, long? from, IActorRef receiver, ClientStreamSettings settings)
        : base(receiver, settings)
    {
        _stream = stream;
        _lastChangeId = stream.EndOfQuery?.ChangeId ?? from ?? 0;
    }

    protected override bool OnStreamMessage(object message)
    {
        switch (message)
        {
            case ChangesReady:
                _waiting = false;
                Pump();
                return true;
            case ChangesEnded ended:
                Fail(ended.Cause is SubscriberTooSlowException
                    ? new ClientError(ClientErrorCode.TooSlow, $"the subscriber fell behind and was cut off after change {_lastChangeId}; resume from the last change id it processed")
                    : new ClientError(ClientErrorCode.Unavailable, $"the node ended the subscription after change {_lastChangeId} (it is stopping, or the subscription was dropped); resume from the last change id processed"));
                return true;
            default:
                return false;
        }
    }

    /// <param name="stream">The attached stream (the actor detaches it when it stops).</param>
    /// <param name="from">The change id resumed after, or null.</param>
    /// <param name="receiver">The client's subscriber.</param>
    /// <param name="settings">Batch size and window.</param>
    public static Props Props(SubscriptionStream stream, long? from, IActorRef receiver, ClientStreamSettings settings) =>
        Akka.Actor.Props.Create(() => new SubscriptionStreamActor(stream, from, receiver, settings));

    protected override void PreStart()
    {
        base.PreStart();
        Send(new Subscribed(_stream.QueryId, _stream.QueryHash, [.. _stream.Columns]));
        Pump();
    }

    protected override void Pump()
    {
        var size = Settings.BatchRows;
        while (HasRoom)
        {
            if (_row < _stream.Rows.Count)
            {
                var rows = _stream.Rows.Skip(_row).Take(size).Select(r => new ClientRow(r.RowId, ClientValues.ToClient(r.Cells))).ToArray();
                _row += rows.Length;
                SendBatch(seq => new SubscriptionRows(_stream.QueryId, seq, rows));
                continue;
            }

            if (!_endOfQuerySent && _stream.EndOfQuery is { } eoq)
            {
                _endOfQuerySent = true;
                SendBatch(seq => new Client.Akka.Protocol.SubscriptionEndOfQuery(_stream.QueryId, seq, eoq.Time, eoq.ChangeId));
                continue;
            }

            var changes = new List<ClientChange>();
            while (_replayed < _stream.Replay.Count && changes.Count < size)
            {
                Add(changes, _stream.Replay[_replayed++]);
            }

            while (changes.Count < size && _stream.Changes.TryRead(out var change))
            {
                Add(changes, change);
            }

            if (changes.Count > 0)
            {
                SendBatch(seq => new SubscriptionChanges(_stream.QueryId, seq, changes));
                continue;
            }

            WaitForChanges();
            return;
        }
    }

    private void Add(List<ClientChange> changes, SubscriptionChange change)
    {
        // A replayed change may also arrive live; the change id orders them, so none is sent twice.
        if (change.ChangeId <= _lastChangeId)
        {
            return;
        }

        _lastChangeId = change.ChangeId;
        changes.Add(ClientValues.ToClient(change));
    }

    private void WaitForChanges()
    {
        if (_waiting)
        {
            return;
        }

        _waiting = true;
        _stream.Changes.WaitToReadAsync().AsTask().ContinueWith(
            static t => t.IsCompletedSuccessfully
                ? (t.Result ? ChangesReady.Instance : new ChangesEnded(null))
                : (object)new ChangesEnded(t.Exception?.InnerException),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).PipeTo(Self);
    }

    // Detaching only tells the subscription actor; the returned task is already complete.
    protected override void PostStop() => _stream.DisposeAsync().AsTask().Wait();

    private sealed class ChangesReady
    {
        public static readonly ChangesReady Instance = new();
    }

    private sealed record ChangesEnded(Exception? Cause);
}
