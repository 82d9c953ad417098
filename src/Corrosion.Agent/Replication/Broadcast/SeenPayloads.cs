namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>A bounded least-recently-seen set of payload ids: the oldest id is forgotten when full.</summary>
internal sealed class SeenPayloads(int capacity)
{
    private readonly Dictionary<PayloadId, LinkedListNode<PayloadId>> _index = new(Math.Min(capacity, 4_096));
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
}
