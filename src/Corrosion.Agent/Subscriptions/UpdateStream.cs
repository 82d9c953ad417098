using System.Threading.Channels;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// One watcher of a table's changed primary keys, through a bounded channel that completes with
/// <see cref="SubscriberTooSlowException"/> when the watcher falls behind. Dispose to stop watching.
/// </summary>
public sealed class UpdateStream : IAsyncDisposable
{
    private readonly Action<UpdateStream> _detach;
    private int _disposed;

    /// <summary>Creates a stream (done by <c>SubscriptionActor</c>).</summary>
    public UpdateStream(string table, long listenerId, IReadOnlyList<string> keyColumns, ChannelReader<UpdateNotification> notifications, Action<UpdateStream> detach)
    {
        Table = table;
        ListenerId = listenerId;
        KeyColumns = keyColumns;
        Notifications = notifications;
        _detach = detach;
    }

    /// <summary>The watched table.</summary>
    public string Table { get; }

    /// <summary>This watcher's id.</summary>
    public long ListenerId { get; }

    /// <summary>The table's primary-key columns, in key order.</summary>
    public IReadOnlyList<string> KeyColumns { get; }

    /// <summary>Changed keys, as they are committed or merged.</summary>
    public ChannelReader<UpdateNotification> Notifications { get; }

    /// <summary>Stops watching.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _detach(this);
        }

        return ValueTask.CompletedTask;
    }
}
