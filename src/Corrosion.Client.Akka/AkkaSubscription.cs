using System.Runtime.CompilerServices;
using Akka.Actor;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka;

/// <summary>
/// A subscription over Akka.Remote as one sequence of events: the current rows, the end-of-query mark,
/// then changes. Each batch is acknowledged once its events have been consumed, so the node never runs
/// more than its window ahead. When the node cuts the subscriber off (it fell behind), ends the stream,
/// or the connection is lost, the subscription re-attaches from the last change id it yielded (on the
/// same node while it comes back, within <see cref="CorrosionAkkaClientOptions.ResumeTimeout"/>): no
/// change is lost or repeated. Where that is impossible (another node took over, or the node forgot the
/// subscription) it subscribes again and yields <see cref="ResubscribedEvent"/> before the rows. A change
/// id the node no longer keeps ends it with <see cref="ClientErrorCode.ChangeIdExpired"/>.
/// Enumerate once; dispose to detach.
/// </summary>
public sealed class AkkaSubscription : IAsyncEnumerable<AkkaSubscriptionEvent>, IAsyncDisposable
{
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly CorrosionAkkaClient _client;
    private readonly SqlStatement? _statement;
    private StreamReceiver _receiver;
    private IActorRef _stream;
    private IActorRef _gateway;
    private int _enumerated;
    private int _disposed;

    private AkkaSubscription(CorrosionAkkaClient client, SqlStatement? statement, StreamReceiver receiver, IActorRef stream, IActorRef gateway, Subscribed subscribed, long? from)
    {
        _client = client;
        _statement = statement;
        _receiver = receiver;
        _stream = stream;
        _gateway = gateway;
        QueryId = subscribed.QueryId;
        QueryHash = subscribed.QueryHash;
        Columns = subscribed.Columns;
        LastChangeId = from;
    }

    /// <summary>The subscription's id on its node (for <see cref="CorrosionAkkaClient.ResumeAsync"/>).</summary>
    public string QueryId { get; private set; }

    /// <summary>A hash of the statement.</summary>
    public string QueryHash { get; private set; }

    /// <summary>The result's column names.</summary>
    public IReadOnlyList<string> Columns { get; private set; }

    /// <summary>The last change id yielded (or the end-of-query's, or the one resumed after); null before any.</summary>
    public long? LastChangeId { get; private set; }

    /// <summary>How many times the subscription re-attached (after a cut-off or a lost connection).</summary>
    public int Resumes { get; private set; }

    /// <summary>The node serving the subscription (its gateway's address).</summary>
    public Address Node => _gateway.Path.Address;

    internal static async Task<AkkaSubscription> OpenAsync(CorrosionAkkaClient client, SqlStatement? statement, string? queryId, long? from, bool skipRows, CancellationToken cancellationToken)
    {
        var gateway = await client.GatewayAsync(cancellationToken).ConfigureAwait(false);
        var receiver = new StreamReceiver(client.System, gateway.Path.Address);
        try
        {
            IClientRequest request = statement is not null
                ? new Subscribe(client.Options.Token, statement, receiver.Ref, skipRows)
                : new Resume(client.Options.Token, queryId!, from, receiver.Ref);
            gateway.Tell(request, receiver.Ref);
            var first = await receiver.ReadAsync(client.Options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            if (first.Message is not Subscribed subscribed)
            {
                throw CorrosionAkkaClient.Unexpected(first.Message, gateway);
            }

            return new AkkaSubscription(client, statement, receiver, first.Sender, gateway, subscribed, from);
        }
        catch
        {
            receiver.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerator<AkkaSubscriptionEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("a subscription's events can be enumerated once; subscribe again (or resume) for another sequence");
        }

        return Events(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<AkkaSubscriptionEvent> Events([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = await _receiver.ReadAsync(null, cancellationToken).ConfigureAwait(false);
            switch (next.Message)
            {
                case SubscriptionRows rows:
                    foreach (var row in rows.Rows)
                    {
                        yield return new RowEvent(row.RowId, row.Cells);
                    }

                    next.Sender.Tell(new StreamAck(rows.Seq), _receiver.Ref);
                    break;
                case SubscriptionEndOfQuery eoq:
                    LastChangeId = eoq.ChangeId;
                    yield return new EndOfQueryEvent(eoq.Time, eoq.ChangeId);
                    next.Sender.Tell(new StreamAck(eoq.Seq), _receiver.Ref);
                    break;
                case SubscriptionChanges changes:
                    foreach (var change in changes.Changes)
                    {
                        if (LastChangeId is { } last && change.ChangeId <= last)
                        {
                            continue;
                        }

                        LastChangeId = change.ChangeId;
                        yield return new ChangeEvent(change.Kind, change.RowId, change.Cells, change.ChangeId);
                    }

                    next.Sender.Tell(new StreamAck(changes.Seq), _receiver.Ref);
                    break;
                case ClientError { Code: ClientErrorCode.TooSlow or ClientErrorCode.Unavailable }:
                case StreamReceiver.ConnectionLost:
                    if (await ReattachAsync(cancellationToken).ConfigureAwait(false) is { } fresh)
                    {
                        yield return fresh;
                    }

                    break;
                case null:
                    yield break;
                default:
                    throw CorrosionAkkaClient.Unexpected(next.Message, _gateway);
            }
        }
    }

    /// <summary>Attaches again from <see cref="LastChangeId"/>; returns an event when it had to start over.</summary>
    private async Task<ResubscribedEvent?> ReattachAsync(CancellationToken cancellationToken)
    {
        _receiver.Dispose();
        var deadline = DateTime.UtcNow + _client.Options.ResumeTimeout;
        var delay = MinRetryDelay;
        Exception? lastFailure = null;
        while (DateTime.UtcNow < deadline)
        {
            IActorRef gateway;
            try
            {
                gateway = await _client.GatewayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (CorrosionAkkaException e) when (e.Code == ClientErrorCode.Unavailable)
            {
                lastFailure = e;
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Min(delay * 2, MaxRetryDelay);
                continue;
            }

            var sameNode = gateway.Path.Address.Equals(_gateway.Path.Address);
            var receiver = new StreamReceiver(_client.System, gateway.Path.Address);
            var fresh = !sameNode || LastChangeId is null;
            IClientRequest request = fresh
                ? Resubscribe(receiver.Ref)
                : new Resume(_client.Options.Token, QueryId, LastChangeId, receiver.Ref);
            gateway.Tell(request, receiver.Ref);
            StreamReceiver.Received first;
            try
            {
                first = await receiver.ReadAsync(_client.Options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                receiver.Dispose();
                lastFailure = e;
                continue;
            }

            switch (first.Message)
            {
                case Subscribed subscribed:
                    _receiver = receiver;
                    _stream = first.Sender;
                    _gateway = gateway;
                    Resumes++;
                    if (!fresh)
                    {
                        return null;
                    }

                    QueryId = subscribed.QueryId;
                    QueryHash = subscribed.QueryHash;
                    Columns = subscribed.Columns;
                    LastChangeId = null;
                    return new ResubscribedEvent(subscribed.QueryId, gateway.Path.Address.ToString());
                case ClientError { Code: ClientErrorCode.NotFound } when _statement is not null:
                    // The node no longer knows the subscription: start over on it.
                    receiver.Dispose();
                    LastChangeId = null;
                    continue;
                case ClientError { Code: ClientErrorCode.Unavailable or ClientErrorCode.TooSlow } error:
                    receiver.Dispose();
                    lastFailure = new CorrosionAkkaException(error);
                    break;
                case StreamReceiver.ConnectionLost:
                    receiver.Dispose();
                    lastFailure = CorrosionAkkaClient.Unexpected(first.Message, gateway);
                    break;
                default:
                    receiver.Dispose();
                    throw CorrosionAkkaClient.Unexpected(first.Message, gateway);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Min(delay * 2, MaxRetryDelay);
        }

        throw new CorrosionAkkaException($"subscription {QueryId} could not re-attach within {_client.Options.ResumeTimeout.TotalSeconds:0.###} s after change {LastChangeId}", lastFailure ?? new TimeoutException());
    }

    private IClientRequest Resubscribe(IActorRef receiver) =>
        _statement is not null
            ? new Subscribe(_client.Options.Token, _statement, receiver)
            : new Resume(_client.Options.Token, QueryId, null, receiver);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Detaches (the node frees the listener; the subscription lives on for others until it expires).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stream.Tell(new CancelStream(), _receiver.Ref);
            _receiver.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
