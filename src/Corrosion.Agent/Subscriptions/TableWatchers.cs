using System.Threading.Channels;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The watchers of tables' changed primary keys (<c>/v1/updates/{table}</c>): turns committed and
/// merged changes into one notification per changed key and hands them to each watcher's bounded
/// channel without waiting. A watcher that falls behind is ended with
/// <see cref="SubscriberTooSlowException"/> and dropped; the others go on. Not thread-safe: used
/// from <see cref="SubscriptionActor"/> only.
/// </summary>
internal sealed class TableWatchers
{
    private readonly Dictionary<string, Dictionary<long, Watcher>> _byTable = new(StringComparer.OrdinalIgnoreCase);
    private long _nextId;

    /// <summary>The number of watchers over all tables.</summary>
    public int Count => _byTable.Values.Sum(w => w.Count);

    /// <summary>Adds a watcher of <paramref name="table"/>.</summary>
    /// <param name="table">The replicated table's name as the store spells it.</param>
    /// <param name="keyColumns">Its primary-key columns, in key order.</param>
    /// <param name="buffer">How many notifications may wait for the watcher.</param>
    /// <param name="detach">Called once when the watcher disposes its stream.</param>
    public UpdateStream Watch(string table, IReadOnlyList<string> keyColumns, int buffer, Action<UpdateStream> detach)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer, 1);
        var channel = Channel.CreateBounded<UpdateNotification>(new BoundedChannelOptions(buffer)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        var id = ++_nextId;
        if (!_byTable.TryGetValue(table, out var watchers))
        {
            watchers = [];
            _byTable[table] = watchers;
        }

        watchers[id] = new Watcher(channel.Writer);
        return new UpdateStream(table, id, keyColumns, channel.Reader, detach);
    }

    /// <summary>Removes a watcher (nothing when it is already gone).</summary>
    public void Unwatch(string table, long listenerId)
    {
        if (_byTable.TryGetValue(table, out var watchers) && watchers.Remove(listenerId, out var watcher))
        {
            watcher.Writer.TryComplete();
            if (watchers.Count == 0)
            {
                _byTable.Remove(table);
            }
        }
    }

    /// <summary>
    /// Notifies watchers of the keys <paramref name="changes"/> touched: delete when the row's
    /// causal length is even (the row is gone), update otherwise; one notification per key per call,
    /// in the order keys were first touched, with the kind of the key's last change.
    /// </summary>
    public void OnChanges(IEnumerable<Change> changes)
    {
        if (_byTable.Count == 0)
        {
            return;
        }

        var byTable = new Dictionary<string, (List<IReadOnlyList<SqlValue>> Order, Dictionary<PkKey, UpdateKind> Kinds)>(StringComparer.OrdinalIgnoreCase);
        foreach (var change in changes)
        {
            if (!_byTable.ContainsKey(change.Table))
            {
                continue;
            }

            if (!byTable.TryGetValue(change.Table, out var table))
            {
                table = ([], []);
                byTable[change.Table] = table;
            }

            var key = new PkKey(change.Pk);
            if (!table.Kinds.ContainsKey(key))
            {
                table.Order.Add(change.Pk);
            }

            table.Kinds[key] = change.Cl % 2 == 0 ? UpdateKind.Delete : UpdateKind.Update;
        }

        foreach (var (name, table) in byTable)
        {
            var watchers = _byTable[name];
            foreach (var pk in table.Order)
            {
                var notification = new UpdateNotification(table.Kinds[new PkKey(pk)], pk);
                foreach (var (id, watcher) in watchers.ToList())
                {
                    if (!watcher.Writer.TryWrite(notification))
                    {
                        watcher.Writer.TryComplete(new SubscriberTooSlowException("the watcher fell behind and its buffer overflowed; watch again (changes in between are not replayed)"));
                        watchers.Remove(id);
                    }
                }
            }

            if (watchers.Count == 0)
            {
                _byTable.Remove(name);
            }
        }
    }

    /// <summary>Ends every watcher's stream with <paramref name="reason"/> (the actor is stopping).</summary>
    public void CloseAll(string reason)
    {
        foreach (var watchers in _byTable.Values)
        {
            foreach (var watcher in watchers.Values)
            {
                watcher.Writer.TryComplete(new ChannelClosedException(reason));
            }
        }

        _byTable.Clear();
    }

    private sealed record Watcher(ChannelWriter<UpdateNotification> Writer);

    /// <summary>Primary-key values compared cell by cell.</summary>
    private readonly struct PkKey(IReadOnlyList<SqlValue> values) : IEquatable<PkKey>
    {
        public IReadOnlyList<SqlValue> Values { get; } = values;

        public bool Equals(PkKey other) => Values.SequenceEqual(other.Values);

        public override bool Equals(object? obj) => obj is PkKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var value in Values)
            {
                hash.Add(value);
            }

            return hash.ToHashCode();
        }
    }
}
