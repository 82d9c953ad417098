using System.Threading.Channels;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// One listener's view of a subscription: the rows and the end-of-query mark known when it attached,
/// the changes it missed (when resuming), then live changes through a bounded channel. When the
/// listener falls behind and the channel fills, the channel completes with
/// <see cref="SubscriberTooSlowException"/>; the listener resumes with the last change id it saw.
/// Dispose to detach.
/// </summary>
public sealed class SubscriptionStream : IAsyncDisposable
{
    private readonly Action<SubscriptionStream> _detach;
    private int _disposed;

    /// <summary>Creates a stream (done by <c>SubscriptionActor</c>).</summary>
    public SubscriptionStream(
        string queryId,
        string queryHash,
        long listenerId,
        IReadOnlyList<string> columns,
        IReadOnlyList<QueryRow> rows,
        SubscriptionEndOfQuery? endOfQuery,
        IReadOnlyList<SubscriptionChange> replay,
        ChannelReader<SubscriptionChange> changes,
        Action<SubscriptionStream> detach)
    {
        QueryId = queryId;
        QueryHash = queryHash;
        ListenerId = listenerId;
        Columns = columns;
        Rows = rows;
        EndOfQuery = endOfQuery;
        Replay = replay;
        Changes = changes;
        _detach = detach;
    }

    /// <summary>The subscription's id (header <c>corro-query-id</c>).</summary>
    public string QueryId { get; }

    /// <summary>A hash of the statement (header <c>corro-query-hash</c>).</summary>
    public string QueryHash { get; }

    /// <summary>This listener's id within the subscription.</summary>
    public long ListenerId { get; }

    /// <summary>The result's column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The current rows with their stable row ids (empty when resuming or skipping rows).</summary>
    public IReadOnlyList<QueryRow> Rows { get; }

    /// <summary>The end-of-query mark after <see cref="Rows"/>; null when resuming with a change id.</summary>
    public SubscriptionEndOfQuery? EndOfQuery { get; }

    /// <summary>Changes after the requested change id, kept in the change log (resume only).</summary>
    public IReadOnlyList<SubscriptionChange> Replay { get; }

    /// <summary>Live changes, in change-id order, each after everything above.</summary>
    public ChannelReader<SubscriptionChange> Changes { get; }

    /// <summary>Detaches the listener.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _detach(this);
        }

        return ValueTask.CompletedTask;
    }
}
