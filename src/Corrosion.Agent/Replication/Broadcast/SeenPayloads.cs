namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>A bounded least-recently-seen set of payload ids: the oldest id is forgotten when full.</summary>
internal sealed class SeenPayloads(int capacity)
{
    private Dictionary<PayloadId, LinkedListNode<PayloadId>> _index = new(Math.Min(capacity, 4_096));
    private readonly LinkedList<PayloadId> _order = new();

    public int Count => _index.Count;

    /// <summary>True when the id was seen (and marks it seen again).</summary>
    public bool Touch(PayloadId id)
    {
        if (!_index.TryGetValue(id, out var node))
        {
            return false;
        }

        _order.Remove(node);
        _order.AddLast(node);
        return true;
    }

    public bool Contains(PayloadId id) => _index.ContainsKey(id);

    /// <summary>Remembers an id not seen before, forgetting the least recently seen one when full.</summary>
    public void Add(PayloadId id)
    {
        if (_index.Count >= capacity && _order.First is { } oldest)
        {
            _order.RemoveFirst();
            _index.Remove(oldest.Value);
        }

        _index[id] = _order.AddLast(id);
    }

    /// <summary>
    /// Forgets all but the <paramref name="keep"/> most recently seen ids and gives back the index's
    /// spare room (a burst leaves tens of thousands of ids, ~170 bytes each, that a quiet node no longer needs).
    /// </summary>
    /// <returns>How many ids were forgotten.</returns>
    public int Forget(int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var forgotten = 0;
        while (_index.Count > keep && _order.First is { } oldest)
        {
            _order.RemoveFirst();
            _index.Remove(oldest.Value);
            forgotten++;
        }

        if (forgotten > 0)
        {
            // TrimExcess keeps a prime near the count; a fresh dictionary also drops the old arrays at once.
            _index = new Dictionary<PayloadId, LinkedListNode<PayloadId>>(_index);
        }

        return forgotten;
    }
}
