using Akka.Actor;
using System.Runtime.CompilerServices;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// Talks to a node in the same process through its actors and its read pool: no HTTP, no JSON.
/// Writes go to <c>StorageActor</c> (the single writer), queries to the store's read-only
/// connections, subscriptions and table watches to <c>SubscriptionActor</c>. Thread-safe.
/// Cancelling a write stops the wait, not the write: a transaction already handed to the writer
/// may still commit.
/// </summary>
public sealed class LocalCorrosionClient
{
    // An ask waits for the mailbox as well as the work; give it room beyond the SQL timeout.
    private static readonly TimeSpan QueueAllowance = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SubscribeTimeout = TimeSpan.FromSeconds(30);

    private readonly Func<CancellationToken, Task<CorrosionNode>> _node;

    /// <summary>A client of a node started with <c>CorrosionNode.StartAsync</c>.</summary>
    public LocalCorrosionClient(CorrosionNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = _ => Task.FromResult(node);
    }

    /// <summary>A client of an embedded node; each call waits until the node has started.</summary>
    public LocalCorrosionClient(ICorrosionNodeAccessor accessor)
    {
        ArgumentNullException.ThrowIfNull(accessor);
        _node = accessor.GetNodeAsync;
    }

    /// <summary>Runs one statement in its own transaction.</summary>
    /// <exception cref="TransactionFailedException">the statement failed; nothing was applied.</exception>
    /// <exception cref="TimeoutException">the node did not answer in time; the outcome is unknown.</exception>
    public Task<TransactionResult> ExecuteAsync(Statement statement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return ExecuteAsync([statement], cancellationToken);
    }

    /// <summary>Runs statements in one transaction, with the node's <c>api.default_timeout</c>.</summary>
    /// <exception cref="TransactionFailedException">a statement failed; nothing was applied.</exception>
    /// <exception cref="TimeoutException">the node did not answer in time; the outcome is unknown.</exception>
    public async Task<TransactionResult> ExecuteAsync(IReadOnlyList<Statement> statements, CancellationToken cancellationToken = default)
    {
        var node = await _node(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(node, statements, node.Options.Api.DefaultTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs statements in one transaction, rolled back when it runs longer than <paramref name="timeout"/>.</summary>
    /// <returns>Rows affected per statement, and the new version (null when no replicated row changed).</returns>
    /// <exception cref="TransactionFailedException">a statement failed or time ran out; nothing was applied.</exception>
    /// <exception cref="TimeoutException">the node did not answer in time; the outcome is unknown.</exception>
    public async Task<TransactionResult> ExecuteAsync(IReadOnlyList<Statement> statements, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var node = await _node(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(node, statements, timeout, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<TransactionResult> ExecuteAsync(CorrosionNode node, IReadOnlyList<Statement> statements, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        if (statements.Count == 0)
        {
            throw new ArgumentException("a transaction needs at least one statement", nameof(statements));
        }

        // Cross-node back-pressure, as for POST /v1/transactions: waits (at most max_write_wait) while a live peer trails too far.
        await node.Admission.WaitAsync(cancellationToken).ConfigureAwait(false);
        TransactionOutcome outcome;
        try
        {
            outcome = await node.Actors.Storage.Ask<TransactionOutcome>(
                reply => new ExecuteTransaction(statements, timeout, reply),
                timeout + QueueAllowance,
                cancellationToken).ConfigureAwait(false);
        }
        catch (AskTimeoutException e)
        {
            throw new TimeoutException("the node did not answer in time; the transaction's outcome is unknown", e);
        }

        return outcome.Result ?? throw new TransactionFailedException(outcome.Error ?? "the transaction failed", outcome.StatementIndex, outcome.TimedOut);
    }

    /// <summary>
    /// Runs one read-only statement on the store's read pool and yields its rows as they are read.
    /// The read connection is held until the enumeration ends, so enumerate to the end or dispose.
    /// </summary>
    /// <exception cref="NotReadOnlyException">the statement would write; nothing ran.</exception>
    /// <exception cref="SqlException">invalid SQL or a failure while reading, with SQLite's message.</exception>
    public async IAsyncEnumerable<LocalRow> QueryAsync(Statement statement, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var node = await _node(cancellationToken).ConfigureAwait(false);
        using var result = node.Store.Query(statement);
        var columns = result.Columns;
        foreach (var row in result.Rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new LocalRow(columns, row.RowId, row.Cells);
        }
    }

    /// <summary>
    /// Subscribes to a read-only statement (the same statement reuses its subscription): the current
    /// rows, the end-of-query mark, then every change, as one sequence of events.
    /// </summary>
    /// <param name="statement">One read-only statement, with its parameters.</param>
    /// <param name="skipRows">True to leave the current rows out (the end-of-query mark stays).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="SubscriptionFailedException">the node refused (bad query, too many subscriptions).</exception>
    /// <exception cref="InvalidOperationException">the node runs without a subscription actor.</exception>
    public async Task<LocalSubscription> SubscribeAsync(Statement statement, bool skipRows = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var stream = await OpenAsync(reply => new Subscribe(statement, skipRows, reply), cancellationToken).ConfigureAwait(false);
        return new LocalSubscription(this, stream, null);
    }

    /// <summary>
    /// Re-attaches to a subscription by id. With <paramref name="from"/>, the events are every change
    /// after that change id (no rows); without it, they start like <see cref="SubscribeAsync"/>.
    /// </summary>
    /// <exception cref="SubscriptionFailedException">unknown id (<see cref="SubscriptionErrorKind.NotFound"/>) or a change id no longer kept (<see cref="SubscriptionErrorKind.ChangeIdExpired"/>).</exception>
    /// <exception cref="InvalidOperationException">the node runs without a subscription actor.</exception>
    public async Task<LocalSubscription> ResumeAsync(string queryId, long? from, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queryId);
        var stream = await AttachAsync(queryId, from, cancellationToken).ConfigureAwait(false);
        return new LocalSubscription(this, stream, from);
    }

    /// <summary>Opens the raw stream of a subscription by id (see <see cref="AttachSubscription"/>).</summary>
    internal Task<SubscriptionStream> AttachAsync(string queryId, long? from, CancellationToken cancellationToken) =>
        OpenAsync(reply => new AttachSubscription(queryId, from, SkipRows: false, reply), cancellationToken);

    /// <summary>
    /// Watches a replicated table for changed primary keys. Read <see cref="UpdateStream.Notifications"/>;
    /// dispose the stream to stop watching.
    /// </summary>
    /// <exception cref="SubscriptionFailedException">no such replicated table, or the node refused.</exception>
    /// <exception cref="InvalidOperationException">the node runs without a subscription actor.</exception>
    public async Task<UpdateStream> WatchAsync(string table, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        var subscriptions = await SubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await subscriptions.Ask<WatchOutcome>(reply => new WatchTable(table, reply), SubscribeTimeout, cancellationToken).ConfigureAwait(false);
        return outcome.Stream ?? throw new SubscriptionFailedException(outcome.Error ?? new SubscriptionError(SubscriptionErrorKind.Unavailable, "the node gave no stream and no reason"));
    }

    private async Task<SubscriptionStream> OpenAsync(Func<ActorRef<SubscribeOutcome>, SubscriptionCommand> request, CancellationToken cancellationToken)
    {
        var subscriptions = await SubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await subscriptions.Ask(request, SubscribeTimeout, cancellationToken).ConfigureAwait(false);
        return outcome.Stream ?? throw new SubscriptionFailedException(outcome.Error ?? new SubscriptionError(SubscriptionErrorKind.Unavailable, "the node gave no stream and no reason"));
    }

    private async Task<ActorRef<SubscriptionCommand>> SubscriptionsAsync(CancellationToken cancellationToken)
    {
        var node = await _node(cancellationToken).ConfigureAwait(false);
        return node.Actors.Subscriptions
            ?? throw new InvalidOperationException("this node runs without a subscription actor, so it cannot serve subscriptions or table watches");
    }
}
