using System.Threading.Channels;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The watchers of tables' changed primary keys (<c>/v1/updates/{table}</c>). A plain class owned by
/// <c>SubscriptionActor</c> and touched only from its loop: it is fed the changes the node commits or
/// merges and writes one <see cref="UpdateNotification"/> per changed key of a watched table into
/// each of that table's watchers. A watcher reads through a bounded channel; one that falls behind is
/// completed with <see cref="SubscriberTooSlowException"/> and forgotten, never waited for.
/// </summary>
public sealed class TableWatchers
{
    private readonly Action<UpdateStream> _detach;
    private readonly Dictionary<string, Dictionary<long, ChannelWriter<UpdateNotification>>> _byTable = new(StringComparer.OrdinalIgnoreCase);
    private long _nextListenerId;

    /// <summary>Creates an empty set of watchers.</summary>
    /// <param name="detach">
    /// Given to every <see cref="UpdateStream"/> as what its disposal does; it must not block (the
    /// actor sends itself an <see cref="UnwatchTable"/>, which ends in <see cref="Unwatch"/>).
    /// </param>
    public TableWatchers(Action<UpdateStream> detach)
    {
        ArgumentNullException.ThrowIfNull(detach);
        _detach = detach;
    }

    /// <summary>The number of live watchers over all tables.</summary>
    public int Count => _byTable.Values.Sum(w => w.Count);

    /// <summary>True when <paramref name="table"/> has at least one watcher.</summary>
    public bool IsWatched(string table) => _byTable.ContainsKey(table);

    /// <summary>Adds a watcher of <paramref name="table"/>.</summary>
    /// <param name="table">The replicated table (its existence is checked by the caller).</param>
    /// <param name="keyColumns">The table's primary-key columns, in key order.</param>
    /// <param name="buffer">How many notifications may wait for the reader before it is dropped.</param>
    public UpdateStream Watch(string table, IReadOnlyList<string> keyColumns, int buffer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ArgumentNullException.ThrowIfNull(keyColumns);
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer, 1);
        var channel = Channel.CreateBounded<UpdateNotification>(new BoundedChannelOptions(buffer)
        {
            // Only TryWrite is used, so the mode matters only in that a full channel refuses.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        var id = ++_nextListenerId;
        if (!_byTable.TryGetValue(table, out var watchers))
        {
            _byTable[table] = watchers = [];
        }

        watchers[id] = channel.Writer;
        return new UpdateStream(table, id, keyColumns, channel.Reader, _detach);
    }

    /// <summary>Removes a watcher and completes its channel; unknown ids are ignored.</summary>
    public void Unwatch(string table, long listenerId)
    {
        if (!_byTable.TryGetValue(table, out var watchers) || !watchers.Remove(listenerId, out var writer))
        {
            return;
        }

        writer.TryComplete();
        if (watchers.Count == 0)
        {
            _byTable.Remove(table);
        }
    }

    /// <summary>
    /// Notifies the watchers of the keys changed by <paramref name="changes"/> (a commit's or a
    /// merge's changes, in application order): one notification per (table, key), in the order keys
    /// first appear, with the kind of the key's last change — delete when the row's causal length is
    /// even (the row is gone now), update otherwise.
    /// </summary>
    public void OnChanges(IEnumerable<Change> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (_byTable.Count == 0)
        {
            return;
        }

        var order = new List<RowKey>();
        var kinds = new Dictionary<RowKey, UpdateKind>();
        foreach (var change in changes)
        {
            if (!_byTable.ContainsKey(change.Table))
            {
                continue;
            }

            var key = new RowKey(change.Table, change.Pk);
            // Every change carries its row's causal length, so the last one of a key tells whether
            // the row is alive after the batch (a delete then an insert is an update).
            var kind = change.Cl % 2 == 0 ? UpdateKind.Delete : UpdateKind.Update;
            if (!kinds.ContainsKey(key))
            {
                order.Add(key);
            }

            kinds[key] = kind;
        }

        foreach (var key in order)
        {
            if (_byTable.TryGetValue(key.Table, out var watchers))
            {
                Notify(key.Table, watchers, new UpdateNotification(kinds[key], key.Pk));
            }
        }
    }

    /// <summary>Completes every watcher's channel with <paramref name="reason"/> and forgets them (the actor stops).</summary>
    public void Close(string reason)
    {
        foreach (var watchers in _byTable.Values)
        {
            foreach (var writer in watchers.Values)
            {
                writer.TryComplete(new ChannelClosedException(reason));
            }
        }

        _byTable.Clear();
    }

    private void Notify(string table, Dictionary<long, ChannelWriter<UpdateNotification>> watchers, UpdateNotification notification)
    {
        List<long>? overflowed = null;
        foreach (var (id, writer) in watchers)
        {
            if (!writer.TryWrite(notification))
            {
                writer.TryComplete(new SubscriberTooSlowException("the watcher fell behind and its buffer overflowed; keys changed meanwhile are not replayed, so watch again and re-read the table"));
                (overflowed ??= []).Add(id);
            }
        }

        if (overflowed is null)
        {
            return;
        }

        foreach (var id in overflowed)
        {
            watchers.Remove(id);
        }

        if (watchers.Count == 0)
        {
            _byTable.Remove(table);
        }
    }

    /// <summary>A row of a table, compared by table name (case-insensitive, as SQLite) and key values.</summary>
    private readonly struct RowKey(string table, IReadOnlyList<SqlValue> pk) : IEquatable<RowKey>
    {
        public string Table { get; } = table;

        public IReadOnlyList<SqlValue> Pk { get; } = pk;

        public bool Equals(RowKey other) =>
            string.Equals(Table, other.Table, StringComparison.OrdinalIgnoreCase) && Pk.SequenceEqual(other.Pk);

        public override bool Equals(object? obj) => obj is RowKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(Table, StringComparer.OrdinalIgnoreCase);
            foreach (var value in Pk)
            {
                hash.Add(value);
            }

            return hash.ToHashCode();
        }
    }
}
