using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Api;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Client.Akka.Protocol;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ClientQuery = Corrosion.Client.Akka.Protocol.Query;
using ClientResume = Corrosion.Client.Akka.Protocol.Resume;
using ClientSubscribe = Corrosion.Client.Akka.Protocol.Subscribe;
using ClientWatchTable = Corrosion.Client.Akka.Protocol.WatchTable;
using ClientGetMembers = Corrosion.Client.Akka.Protocol.GetMembers;

namespace Corrosion.Agent.ClientGateway;

/// <summary>
/// The Akka client library's way into a node (<c>/user/corrosion/client</c>, reachable over
/// Akka.Remote when <c>akka_api.enabled</c>). It turns the client protocol's requests into the
/// messages of the node's own actors — transactions to <c>StorageActor</c>, subscriptions and table
/// watches to <c>SubscriptionActor</c>, members to <c>MembershipActor</c> — and queries onto the read
/// pool, with the HTTP API's semantics, tokens and messages. Each stream is a child actor
/// (<see cref="ClientStreamActor"/>) that watches the client's receiver.
/// </summary>
public sealed partial class ClientGatewayActor : UntypedActor
{
    /// <summary>The gateway's name under <c>/user/corrosion</c>.</summary>
    public const string Name = "client";

    // An ask waits for the mailbox as well as the work; give it room beyond the SQL timeout.
    private static readonly TimeSpan QueueAllowance = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ActorTimeout = TimeSpan.FromSeconds(30);
    private const int MaxRememberedSubscriptions = 100_000;

    private readonly CrdtStore _store;
    private readonly NodeOptions _options;
    private readonly ActorRef<StorageCommand> _storage;
    private readonly ActorRef<SubscriptionCommand>? _subscriptions;
    private readonly ActorRef<MembershipCommand>? _membership;
    private readonly Func<CancellationToken, Task<HealthReport>> _health;
    private readonly Replication.Admission.WriteAdmission? _admission;
    private readonly TokenAuthorization _auth;
    private readonly ClientStreamSettings _streams;
    private readonly ILogger _log;
    // Subscription id → tables its statement reads, learnt from subscriptions made here, so a
    // table-restricted token may resume only subscriptions within its tables.
    private readonly Dictionary<string, IReadOnlySet<string>> _subscriptionTables = new(StringComparer.Ordinal);

    /// <summary>Creates the gateway (use <see cref="Props"/>).</summary>
    public ClientGatewayActor(
        CrdtStore store,
        NodeOptions options,
        ActorRef<StorageCommand> storage,
        ActorRef<SubscriptionCommand>? subscriptions,
        ActorRef<MembershipCommand>? membership,
        Func<CancellationToken, Task<HealthReport>> health,
        Replication.Admission.WriteAdmission? admission = null)
    {
        _store = store;
        _admission = admission;
        _options = options;
        _storage = storage;
        _subscriptions = subscriptions;
        _membership = membership;
        _health = health;
        _auth = TokenAuthorization.FromOptions(options.Api.Authz);
        _streams = ClientStreamSettings.From(options.AkkaApi);
        _log = Context.LoggerFor<ClientGatewayActor>();
    }

    /// <summary>The gateway's props.</summary>
    /// <param name="store">The node's database (queries read its pool).</param>
    /// <param name="options">The node's options (<c>api.authz</c>, <c>api.default_timeout</c>, <c>akka_api</c>).</param>
    /// <param name="storage">The writer.</param>
    /// <param name="subscriptions">Live queries and table watches, or null when the node runs without them.</param>
    /// <param name="membership">Membership, or null.</param>
    /// <param name="health">The node's health figures (as <c>GET /v1/health</c>).</param>
    /// <param name="admission">The write gate transactions pass first (cross-node back-pressure, as for HTTP); null delays none.</param>
    public static Props Props(
        CrdtStore store,
        NodeOptions options,
        ActorRef<StorageCommand> storage,
        ActorRef<SubscriptionCommand>? subscriptions,
        ActorRef<MembershipCommand>? membership,
        Func<CancellationToken, Task<HealthReport>> health,
        Replication.Admission.WriteAdmission? admission = null) =>
        Akka.Actor.Props.Create(() => new ClientGatewayActor(store, options, storage, subscriptions, membership, health, admission));

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Execute execute:
                OnExecute(execute);
                break;
            case ClientQuery query:
                OnQuery(query);
                break;
            case ClientSubscribe subscribe:
                OnSubscribe(subscribe);
                break;
            case ClientResume resume:
                OnResume(resume);
                break;
            case ClientWatchTable watch:
                OnWatchTable(watch);
                break;
            case ClientGetMembers getMembers:
                OnGetMembers(getMembers);
                break;
            case GetHealth getHealth:
                OnGetHealth(getHealth);
                break;
            case StreamOpened opened:
                OnStreamOpened(opened);
                break;
            case WatchOpened watchOpened:
                OnWatchOpened(watchOpened);
                break;
            default:
                LogUnknownMessage(_log, message.GetType().FullName ?? "?", Sender.Path.ToString());
                Sender.Tell(new ClientError(ClientErrorCode.BadRequest, $"the client gateway does not accept {message.GetType().Name}"));
                break;
        }
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() =>
        // A stream that fails ends alone (its receiver is watched by nobody else); the gateway goes on.
        new OneForOneStrategy(_ => Directive.Stop);

    private void OnExecute(Execute execute)
    {
        var sender = Sender;
        if (Authorize(execute, ApiScope.Write, sender) is not { } caller)
        {
            return;
        }

        IReadOnlyList<Statement> statements;
        try
        {
            if (execute.Statements is null || execute.Statements.Count == 0)
            {
                throw new ArgumentException("a transaction needs at least one statement");
            }

            statements = [.. execute.Statements.Select(ClientValues.ToStatement)];
        }
        catch (ArgumentException e)
        {
            sender.Tell(new ClientError(ClientErrorCode.BadRequest, e.Message));
            return;
        }

        if (execute.TimeoutSeconds is { } s && (!double.IsFinite(s) || s <= 0 || s > 24 * 3600))
        {
            sender.Tell(new ClientError(ClientErrorCode.BadRequest, $"timeout must be a positive number of seconds, got {s}"));
            return;
        }

        var timeout = execute.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : _options.Api.DefaultTimeout;

        if (!CheckTables(caller, statements, sender, out _))
        {
            return;
        }

        var actorId = _store.SiteId.ToString();
        var storage = _storage;
        var gate = _admission?.WaitAsync() ?? ValueTask.CompletedTask;
        var outcome = gate.IsCompletedSuccessfully
            ? storage.Ask<TransactionOutcome>(reply => new ExecuteTransaction(statements, timeout, reply), timeout + QueueAllowance)
            : AfterGateAsync(gate, storage, statements, timeout);
        outcome.PipeTo(sender, success: o => ToReply(o, actorId), failure: e => Unanswered(e, "the transaction's outcome is unknown"));
    }

    // Cross-node back-pressure: a write waits (at most gossip.replication.max_write_wait) while a live peer
    // trails this node too far, as POST /v1/transactions and the in-process client do; the gateway goes on
    // serving other requests meanwhile.
    private static async Task<TransactionOutcome> AfterGateAsync(ValueTask gate, ActorRef<StorageCommand> storage, IReadOnlyList<Statement> statements, TimeSpan timeout)
    {
        await gate.ConfigureAwait(false);
        return await storage.Ask<TransactionOutcome>(reply => new ExecuteTransaction(statements, timeout, reply), timeout + QueueAllowance).ConfigureAwait(false);
    }

    private static IClientMessage ToReply(TransactionOutcome outcome, string actorId)
    {
        if (outcome.Result is { } result)
        {
            return new TransactionCommitted([.. result.Results.Select(r => r.RowsAffected)], result.Version, actorId, result.Elapsed.TotalSeconds);
        }

        var where = outcome.StatementIndex is { } index ? $"statement {index}: " : string.Empty;
        return new ClientError(
            outcome.TimedOut ? ClientErrorCode.Timeout : ClientErrorCode.BadRequest,
            $"{where}{outcome.Error} (nothing was applied)",
            outcome.StatementIndex);
    }

    private void OnQuery(ClientQuery query)
    {
        var sender = Sender;
        if (Authorize(query, ApiScope.Read, sender) is not { } caller || !HasStreamRoom(sender))
        {
            return;
        }

        try
        {
            var statement = ClientValues.ToStatement(query.Statement);
            if (!CheckTables(caller, [statement], sender, out _))
            {
                return;
            }

            var timeout = query.TimeoutSeconds is { } seconds && double.IsFinite(seconds) && seconds is > 0 and <= 24 * 3600 ? TimeSpan.FromSeconds(seconds) : _options.Api.DefaultTimeout;
            var result = _store.Query(statement, timeout, _options.Api.QueryOutputLimit);
            Context.ActorOf(QueryStreamActor.Props(result, sender, _streams));
        }
        catch (Exception e) when (e is ArgumentException or SqlException or SqliteException)
        {
            sender.Tell(new ClientError(ClientErrorCode.BadRequest, e.Message));
        }
    }

    private void OnSubscribe(ClientSubscribe subscribe)
    {
        var sender = Sender;
        var subscriber = Receiver(subscribe.Subscriber, sender);
        if (Authorize(subscribe, ApiScope.Read, subscriber) is not { } caller || !HasStreamRoom(subscriber) || Subscriptions(subscriber) is not { } subscriptions)
        {
            return;
        }

        Statement statement;
        try
        {
            statement = ClientValues.ToStatement(subscribe.Statement);
        }
        catch (ArgumentException e)
        {
            subscriber.Tell(new ClientError(ClientErrorCode.BadRequest, e.Message));
            return;
        }

        if (!CheckTables(caller, [statement], subscriber, out var tables))
        {
            return;
        }

        subscriptions.Ask<SubscribeOutcome>(reply => new Subscriptions.Subscribe(statement, subscribe.SkipRows, reply), ActorTimeout)
            .PipeTo(Self, success: outcome => new StreamOpened(outcome, null, null, subscriber, tables), failure: e => new StreamOpened(null, null, e, subscriber, tables));
    }

    private void OnResume(ClientResume resume)
    {
        var sender = Sender;
        var subscriber = Receiver(resume.Subscriber, sender);
        if (Authorize(resume, ApiScope.Read, subscriber) is not { } caller || !HasStreamRoom(subscriber) || Subscriptions(subscriber) is not { } subscriptions)
        {
            return;
        }

        if (string.IsNullOrEmpty(resume.QueryId))
        {
            subscriber.Tell(new ClientError(ClientErrorCode.BadRequest, "a subscription id is required"));
            return;
        }

        if (caller.Tables is not null)
        {
            if (!_subscriptionTables.TryGetValue(resume.QueryId, out var tables))
            {
                subscriber.Tell(new ClientError(ClientErrorCode.Forbidden,
                    $"token \"{caller.Name}\" is restricted to tables and this node does not know which tables subscription {resume.QueryId} reads; subscribe again (the same statement gets the same id)"));
                return;
            }

            if (tables.FirstOrDefault(t => !caller.MayUse(t)) is { } forbidden)
            {
                subscriber.Tell(new ClientError(ClientErrorCode.Forbidden, $"token \"{caller.Name}\": this token may not use table {forbidden}"));
                return;
            }
        }

        subscriptions.Ask<SubscribeOutcome>(reply => new AttachSubscription(resume.QueryId, resume.From, SkipRows: false, reply), ActorTimeout)
            .PipeTo(Self, success: outcome => new StreamOpened(outcome, resume.From, null, subscriber, null), failure: e => new StreamOpened(null, null, e, subscriber, null));
    }

    private void OnStreamOpened(StreamOpened opened)
    {
        if (opened.Outcome?.Stream is { } stream)
        {
            if (opened.Tables is { } tables)
            {
                if (_subscriptionTables.Count >= MaxRememberedSubscriptions)
                {
                    _subscriptionTables.Clear();
                }

                _subscriptionTables[stream.QueryId] = tables;
            }

            Context.ActorOf(SubscriptionStreamActor.Props(stream, opened.From, opened.Subscriber, _streams));
            return;
        }

        opened.Subscriber.Tell(opened.Outcome?.Error is { } error
            ? new ClientError(ClientValues.ToCode(error.Kind), error.Message, OldestChangeId: error.OldestChangeId)
            : Unanswered(opened.Failure, "no subscription was made"));
    }

    private void OnWatchTable(ClientWatchTable watch)
    {
        var sender = Sender;
        var watcher = Receiver(watch.Watcher, sender);
        if (Authorize(watch, ApiScope.Read, watcher) is not { } caller || !HasStreamRoom(watcher) || Subscriptions(watcher) is not { } subscriptions)
        {
            return;
        }

        if (string.IsNullOrEmpty(watch.Table))
        {
            watcher.Tell(new ClientError(ClientErrorCode.BadRequest, "a table name is required"));
            return;
        }

        if (!caller.MayUse(watch.Table))
        {
            watcher.Tell(new ClientError(ClientErrorCode.Forbidden, $"token \"{caller.Name}\": this token may not use table {watch.Table}"));
            return;
        }

        subscriptions.Ask<WatchOutcome>(reply => new Subscriptions.WatchTable(watch.Table, reply), ActorTimeout)
            .PipeTo(Self, success: outcome => new WatchOpened(outcome, null, watcher), failure: e => new WatchOpened(null, e, watcher));
    }

    private void OnWatchOpened(WatchOpened opened)
    {
        if (opened.Outcome?.Stream is { } stream)
        {
            Context.ActorOf(TableWatchStreamActor.Props(stream, opened.Watcher, _streams));
            return;
        }

        opened.Watcher.Tell(opened.Outcome?.Error is { } error
            ? new ClientError(ClientValues.ToCode(error.Kind), error.Message)
            : Unanswered(opened.Failure, "no watch was made"));
    }

    private void OnGetMembers(ClientGetMembers get)
    {
        var sender = Sender;
        if (Authorize(get, ApiScope.Admin, sender) is null)
        {
            return;
        }

        if (_membership is not { } membership)
        {
            sender.Tell(new ClientError(ClientErrorCode.Unavailable, "membership is not running on this node"));
            return;
        }

        membership.Ask<MembersSnapshot>(reply => new Membership.GetMembers(reply), ActorTimeout)
            .PipeTo(sender, success: snapshot => new MembersResult(
                [
                    ToMember(snapshot.Self, self: true),
                    .. snapshot.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => ToMember(m, self: false)),
                ]),
                failure: e => Unanswered(e, "no member list"));
    }

    private static ClientMember ToMember(MemberInfo member, bool self) =>
        new(member.Id.ToString(), member.Address.ToString(), member.State.ToString().ToLowerInvariant(), member.Incarnation, member.LastRttMs, self);

    private void OnGetHealth(GetHealth get)
    {
        var sender = Sender;
        if (Authorize(get, ApiScope.Read, sender) is null)
        {
            return;
        }

        var actorId = _store.SiteId.ToString();
        _health(CancellationToken.None).PipeTo(sender,
            success: report => new HealthResult(actorId, report.Members, report.Gaps, report.QueueSize, report.P99Lag),
            failure: e => Unanswered(e, "no health figures"));
    }

    private ApiToken? Authorize(IClientRequest request, ApiScope needed, IActorRef replyTo)
    {
        var caller = _auth.Authenticate(request.Token);
        if (caller is null)
        {
            LogRefused(_log, request.GetType().Name, Sender.Path.Address.ToString(), "no valid bearer token");
            replyTo.Tell(new ClientError(ClientErrorCode.Unauthorized, TokenAuthorization.TokenRequiredMessage));
            return null;
        }

        if (caller.Scope < needed)
        {
            LogRefused(_log, request.GetType().Name, Sender.Path.Address.ToString(), $"token {caller.Name} has scope {caller.Scope}");
            replyTo.Tell(new ClientError(ClientErrorCode.Forbidden,
                $"token \"{caller.Name}\" has scope {caller.Scope.ToString().ToLowerInvariant()}; {request.GetType().Name} needs {needed.ToString().ToLowerInvariant()}"));
            return null;
        }

        return caller;
    }

    private bool CheckTables(ApiToken caller, IReadOnlyList<Statement> statements, IActorRef replyTo, out IReadOnlySet<string>? tables)
    {
        tables = null;
        if (caller.Tables is null)
        {
            return true;
        }

        try
        {
            tables = _store.CheckTableAccess(statements, caller.MayUse);
            return true;
        }
        catch (TableAccessException e)
        {
            replyTo.Tell(new ClientError(ClientErrorCode.Forbidden, $"token \"{caller.Name}\": {e.Message}"));
        }
        catch (SqlException e)
        {
            replyTo.Tell(new ClientError(ClientErrorCode.BadRequest, e.Message));
        }

        return false;
    }

    private bool HasStreamRoom(IActorRef replyTo)
    {
        if (Context.GetChildren().Count() < _options.AkkaApi.MaxStreams)
        {
            return true;
        }

        replyTo.Tell(new ClientError(ClientErrorCode.Unavailable, $"the node serves akka_api.max_streams = {_options.AkkaApi.MaxStreams} streams already; try later"));
        return false;
    }

    private ActorRef<SubscriptionCommand>? Subscriptions(IActorRef replyTo)
    {
        if (_subscriptions is null)
        {
            replyTo.Tell(new ClientError(ClientErrorCode.Unavailable, "this node runs without a subscription actor, so it cannot serve subscriptions or table watches"));
        }

        return _subscriptions;
    }

    private static IActorRef Receiver(IActorRef? given, IActorRef sender) =>
        given is null || given.IsNobody() ? sender : given;

    private static ClientError Unanswered(Exception? e, string consequence) => e switch
    {
        AskTimeoutException => new ClientError(ClientErrorCode.Unavailable, $"the node did not answer in time; {consequence}"),
        _ => new ClientError(ClientErrorCode.Internal, $"internal error: {e?.Message}; {consequence}"),
    };

    private sealed record StreamOpened(SubscribeOutcome? Outcome, long? From, Exception? Failure, IActorRef Subscriber, IReadOnlySet<string>? Tables);

    private sealed record WatchOpened(WatchOutcome? Outcome, Exception? Failure, IActorRef Watcher);

    [LoggerMessage(Level = LogLevel.Warning, Message = "client gateway refused a message of type {Type} from {Sender}: not a request of the client protocol")]
    private static partial void LogUnknownMessage(ILogger logger, string type, string sender);

    [LoggerMessage(Level = LogLevel.Debug, Message = "client gateway refused {Request} from {Address}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string request, string address, string reason);
}
