using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka;

/// <summary>
/// Talks to Corrosion nodes from a service's own <see cref="ActorSystem"/> over Akka.Remote, through
/// each node's client gateway (<c>/user/corrosion/client</c>, on when the node sets
/// <c>akka_api.enabled = true</c>): transactions by <c>Ask</c>, query rows and live-query changes as
/// messages, with acknowledged batches. The system needs Akka.Remote and the protocol's serializer
/// (<see cref="ActorSystemConfig"/>, or <c>WithCorrosionClient</c> in Akka.Hosting). Thread-safe.
/// </summary>
public sealed class CorrosionAkkaClient : IDisposable
{
    /// <summary>The gateway's path on a node.</summary>
    public const string GatewayPath = "/user/corrosion/client";

    private readonly ActorSystem _system;
    private readonly CorrosionAkkaClientOptions _options;
    private readonly string[] _nodes;
    private readonly SemaphoreSlim _resolving = new(1, 1);
    private readonly object _gate = new();
    private int _current;
    private readonly IActorRef _watcher;
    private IActorRef? _gateway;

    /// <summary>A client of the nodes in <paramref name="options"/>, in <paramref name="system"/>.</summary>
    /// <exception cref="ArgumentException">no node, or a node address that is not an Akka address.</exception>
    public CorrosionAkkaClient(ActorSystem system, CorrosionAkkaClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Nodes.Count == 0)
        {
            throw new ArgumentException("give at least one node (akka.tcp://corrosion@host:port)", nameof(options));
        }

        _system = system;
        _options = options;
        _nodes = [.. options.Nodes.Select(GatewayAddress)];
        _watcher = system.ActorOf(Props.Create(() => new ConnectionWatcher(this)));
    }

    /// <summary>
    /// Akka settings for a client's actor system: Akka.Remote on <paramref name="hostname"/>:<paramref name="port"/>
    /// (0 = a free port) and the protocol's serializer; <paramref name="strict"/> also refuses every
    /// message type without a registered serializer (no Newtonsoft on the wire).
    /// </summary>
    public static Config ActorSystemConfig(string hostname = "127.0.0.1", int port = 0, bool strict = true) =>
        ConfigurationFactory.ParseString($$"""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "{{hostname}}", port = {{port}} }
            """).WithFallback(strict ? ClientProtocolConfig.Strict : ClientProtocolConfig.Serialization);

    /// <summary>The full gateway path of a node address (the path is added when missing).</summary>
    /// <exception cref="ArgumentException">not an Akka address.</exception>
    public static string GatewayAddress(string node)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        var text = node.TrimEnd('/');
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"\"{node}\" is not an Akka address (akka.tcp://corrosion@host:port)", nameof(node));
        }

        return text.EndsWith(GatewayPath, StringComparison.Ordinal) ? text : text + GatewayPath;
    }

    /// <summary>The node currently used (its gateway path).</summary>
    public string CurrentNode
    {
        get
        {
            lock (_gate)
            {
                return _nodes[_current];
            }
        }
    }

    /// <summary>Runs statements in one transaction.</summary>
    /// <param name="statements">At least one statement.</param>
    /// <param name="timeout">How long the transaction may run; null for the node's <c>api.default_timeout</c>.</param>
    /// <param name="cancellationToken">Stops the wait (not the transaction).</param>
    /// <returns>Rows affected per statement and the new version.</returns>
    /// <exception cref="CorrosionAkkaException">the node refused: bad SQL (the message names the statement; nothing was applied), no valid token, ...</exception>
    /// <exception cref="TimeoutException">no answer in time; the outcome is unknown.</exception>
    public async Task<TransactionCommitted> ExecuteAsync(IReadOnlyList<SqlStatement> statements, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var request = new Execute(_options.Token, statements, timeout?.TotalSeconds);
        var allowance = (timeout ?? TimeSpan.Zero) + _options.RequestTimeout;
        return await AskAsync<TransactionCommitted>(request, allowance, "the transaction's outcome is unknown", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one statement with positional parameters (.NET values: see <see cref="ClientValue.From"/>).</summary>
    /// <inheritdoc cref="ExecuteAsync(IReadOnlyList{SqlStatement}, TimeSpan?, CancellationToken)"/>
    public Task<TransactionCommitted> ExecuteAsync(string sql, params object?[] parameters) =>
        ExecuteAsync([SqlStatement.Of(sql, parameters)]);

    /// <summary>The node's view of the cluster, the answering node first (needs scope admin).</summary>
    /// <exception cref="CorrosionAkkaException">refused.</exception>
    /// <exception cref="TimeoutException">no answer in time.</exception>
    public async Task<IReadOnlyList<ClientMember>> MembersAsync(CancellationToken cancellationToken = default) =>
        (await AskAsync<MembersResult>(new GetMembers(_options.Token), _options.RequestTimeout, "no member list", cancellationToken).ConfigureAwait(false)).Members;

    /// <summary>The node's health figures.</summary>
    /// <exception cref="CorrosionAkkaException">refused.</exception>
    /// <exception cref="TimeoutException">no answer in time.</exception>
    public Task<HealthResult> HealthAsync(CancellationToken cancellationToken = default) =>
        AskAsync<HealthResult>(new GetHealth(_options.Token), _options.RequestTimeout, "no health figures", cancellationToken);

    /// <summary>
    /// Runs one read-only statement and yields its rows as they arrive, in acknowledged chunks: the node
    /// reads ahead at most its window, so a slow reader slows the query down instead of filling memory.
    /// Stop early by disposing the enumerator (the node frees the read connection).
    /// </summary>
    /// <exception cref="CorrosionAkkaException">bad SQL, a write, no valid token, or the connection was lost.</exception>
    /// <exception cref="TimeoutException">the node went silent for the request timeout.</exception>
    public async IAsyncEnumerable<AkkaRow> QueryAsync(SqlStatement statement, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var gateway = await GatewayAsync(cancellationToken).ConfigureAwait(false);
        using var receiver = new StreamReceiver(_system, gateway.Path.Address);
        gateway.Tell(new Query(_options.Token, statement, timeout?.TotalSeconds), receiver.Ref);
        IActorRef? stream = null;
        var ended = false;
        try
        {
            var first = await receiver.ReadAsync(_options.RequestTimeout + (timeout ?? TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
            var columns = first.Message switch
            {
                QueryStarted started => started.Columns,
                _ => throw Unexpected(first.Message, gateway),
            };
            stream = first.Sender;
            while (true)
            {
                var next = await receiver.ReadAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                switch (next.Message)
                {
                    case QueryRows rows:
                        foreach (var row in rows.Rows)
                        {
                            yield return new AkkaRow(columns, row.RowId, row.Cells);
                        }

                        next.Sender.Tell(new StreamAck(rows.Seq), receiver.Ref);
                        break;
                    case QueryEnd:
                        ended = true;
                        yield break;
                    default:
                        ended = true;
                        throw Unexpected(next.Message, gateway);
                }
            }
        }
        finally
        {
            if (!ended)
            {
                stream?.Tell(new CancelStream(), receiver.Ref);
            }
        }
    }

    /// <summary>Runs one read-only statement with positional parameters (see <see cref="QueryAsync(SqlStatement, TimeSpan?, CancellationToken)"/>).</summary>
    public IAsyncEnumerable<AkkaRow> QueryAsync(string sql, params object?[] parameters) => QueryAsync(SqlStatement.Of(sql, parameters));

    /// <summary>
    /// Subscribes to a read-only statement: the current rows, the end-of-query mark, then every change,
    /// as one sequence of events (<see cref="AkkaSubscription"/>) that re-attaches from the last change
    /// id after a lost connection or a cut-off, with no change lost or repeated.
    /// </summary>
    /// <exception cref="CorrosionAkkaException">the node refused (bad query, no valid token, too many subscriptions).</exception>
    /// <exception cref="TimeoutException">no answer in time.</exception>
    public Task<AkkaSubscription> SubscribeAsync(SqlStatement statement, bool skipRows = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return AkkaSubscription.OpenAsync(this, statement, null, null, skipRows, cancellationToken);
    }

    /// <summary>
    /// Re-attaches to a subscription by id: with <paramref name="from"/>, every change after it (no rows);
    /// without, like <see cref="SubscribeAsync"/>.
    /// </summary>
    /// <exception cref="CorrosionAkkaException">unknown id (<see cref="ClientErrorCode.NotFound"/>), change id no longer kept (<see cref="ClientErrorCode.ChangeIdExpired"/>).</exception>
    public Task<AkkaSubscription> ResumeAsync(string queryId, long? from, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queryId);
        return AkkaSubscription.OpenAsync(this, null, queryId, from, false, cancellationToken);
    }

    /// <summary>
    /// Pure-actor mode: subscribes <paramref name="subscriber"/>, an actor of the caller's, which then
    /// receives <see cref="Subscribed"/>, <see cref="SubscriptionRows"/>, <see cref="SubscriptionEndOfQuery"/>
    /// and <see cref="SubscriptionChanges"/> from the node's stream actor (or a <see cref="ClientError"/>).
    /// The subscriber must answer each numbered batch with <see cref="StreamAck"/> to its sender; one that
    /// does not is cut off with <see cref="ClientErrorCode.TooSlow"/> and resumes with <see cref="Resume"/>.
    /// Stopping the subscriber ends the stream on the node.
    /// </summary>
    /// <returns>Completes once the request is sent.</returns>
    public async Task SubscribeActorAsync(SqlStatement statement, IActorRef subscriber, bool skipRows = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(subscriber);
        var gateway = await GatewayAsync(cancellationToken).ConfigureAwait(false);
        gateway.Tell(new Subscribe(_options.Token, statement, subscriber, skipRows), subscriber);
    }

    /// <summary>
    /// Watches a replicated table for changed primary keys, as they happen, in acknowledged batches.
    /// Dispose the enumerator to stop.
    /// </summary>
    /// <exception cref="CorrosionAkkaException">no such table, no valid token, or the watch ended (the node stopped, or the connection was lost).</exception>
    public async IAsyncEnumerable<ClientKeyUpdate> WatchAsync(string table, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var gateway = await GatewayAsync(cancellationToken).ConfigureAwait(false);
        using var receiver = new StreamReceiver(_system, gateway.Path.Address);
        gateway.Tell(new WatchTable(_options.Token, table, receiver.Ref), receiver.Ref);
        var first = await receiver.ReadAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        if (first.Message is not TableWatchStarted)
        {
            throw Unexpected(first.Message, gateway);
        }

        try
        {
            while (true)
            {
                var next = await receiver.ReadAsync(null, cancellationToken).ConfigureAwait(false);
                if (next.Message is not TableUpdates updates)
                {
                    throw Unexpected(next.Message, gateway);
                }

                foreach (var update in updates.Updates)
                {
                    yield return update;
                }

                next.Sender.Tell(new StreamAck(updates.Seq), receiver.Ref);
            }
        }
        finally
        {
            first.Sender.Tell(new CancelStream(), receiver.Ref);
        }
    }

    /// <summary>Stops the client's connection watcher (open queries and subscriptions end with their own disposal).</summary>
    public void Dispose()
    {
        _system.Stop(_watcher);
        _resolving.Dispose();
    }

    internal ActorSystem System => _system;

    internal CorrosionAkkaClientOptions Options => _options;

    /// <summary>The gateway of the current node, found once and kept until its connection is lost; on failure the next node is tried.</summary>
    /// <exception cref="CorrosionAkkaException">no node answered (code <see cref="ClientErrorCode.Unavailable"/>).</exception>
    internal async Task<IActorRef> GatewayAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_gateway is { } known)
            {
                return known;
            }
        }

        await _resolving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var failures = new List<string>();
            for (var attempt = 0; attempt < _nodes.Length; attempt++)
            {
                string path;
                lock (_gate)
                {
                    if (_gateway is { } known)
                    {
                        return known;
                    }

                    path = _nodes[_current];
                }

                try
                {
                    var found = await _system.ActorSelection(path).ResolveOne(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
                    lock (_gate)
                    {
                        _gateway = found;
                    }

                    return found;
                }
                catch (Exception e) when (e is ActorNotFoundException or AskTimeoutException or TimeoutException)
                {
                    failures.Add($"{path}: {e.Message}");
                    lock (_gate)
                    {
                        _current = (_current + 1) % _nodes.Length;
                    }
                }
            }

            throw new CorrosionAkkaException(new ClientError(ClientErrorCode.Unavailable, $"no node answered: {string.Join("; ", failures)}"));
        }
        finally
        {
            _resolving.Release();
        }
    }

    /// <summary>Forgets the gateway at <paramref name="node"/> and moves to the next node (the connection was lost).</summary>
    internal void ConnectionLost(Address node)
    {
        lock (_gate)
        {
            if (_gateway is { } known && known.Path.Address.Equals(node))
            {
                _gateway = null;
                _current = (_current + 1) % _nodes.Length;
            }
        }
    }

    internal static Exception Unexpected(object message, IActorRef gateway) => message switch
    {
        ClientError error => new CorrosionAkkaException(error),
        StreamReceiver.ConnectionLost => new CorrosionAkkaException(new ClientError(ClientErrorCode.Unavailable, $"the connection to {gateway.Path.Address} was lost")),
        _ => new CorrosionAkkaException(new ClientError(ClientErrorCode.Internal, $"unexpected {message.GetType().Name} from the node")),
    };

    private async Task<T> AskAsync<T>(IClientRequest request, TimeSpan timeout, string consequence, CancellationToken cancellationToken)
        where T : IClientMessage
    {
        var gateway = await GatewayAsync(cancellationToken).ConfigureAwait(false);
        object reply;
        try
        {
            reply = await gateway.Ask<object>(request, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException($"{gateway.Path.Address} did not answer in time; {consequence}", e);
        }

        return reply is T answer ? answer : throw Unexpected(reply, gateway);
    }

    /// <summary>Moves the client off a node whose connection is lost (Akka.Remote's lifecycle events).</summary>
    private sealed class ConnectionWatcher : ReceiveActor
    {
        public ConnectionWatcher(CorrosionAkkaClient client)
        {
            Receive<DisassociatedEvent>(e => client.ConnectionLost(e.RemoteAddress));
            Receive<QuarantinedEvent>(e => client.ConnectionLost(e.Address));
            Receive<RemotingLifecycleEvent>(_ => { });
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(RemotingLifecycleEvent));

        protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
    }
}
