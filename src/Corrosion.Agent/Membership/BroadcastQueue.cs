namespace Corrosion.Agent.Membership;

/// <summary>
/// Updates waiting to be piggybacked, one per member (a newer rumour replaces an older one). Packets take
/// the least-sent first and, among equals, the most recent; an update is dropped once sent
/// <c>limit</c> times.
/// </summary>
internal sealed class BroadcastQueue
{
    private readonly SortedSet<Item> _ordered = new(ItemOrder.Instance);
    private readonly Dictionary<NodeAddress, Item> _byMember = [];
    private readonly List<Item> _taken = [];
    private long _sequence;

    public int Count => _byMember.Count;

    public void Enqueue(MemberUpdate update)
    {
        var address = update.Member.Address;
        if (_byMember.Remove(address, out var old))
        {
            _ordered.Remove(old);
        }

        var item = new Item(update, 0, ++_sequence);
        _byMember[address] = item;
        _ordered.Add(item);
    }

    public bool TryGet(NodeAddress member, out MemberUpdate update)
    {
        if (_byMember.TryGetValue(member, out var item))
        {
            update = item.Update;
            return true;
        }

        update = default;
        return false;
    }

    /// <summary>
    /// Offers updates in priority order to <paramref name="tryWrite"/> until it refuses one (packet full);
    /// counts a transmission for each written and drops those that reached <paramref name="limit"/>.
    /// </summary>
    public int Fill(Func<MemberUpdate, bool> tryWrite, int limit, NodeAddress skip = default)
    {
        _taken.Clear();
        foreach (var item in _ordered)
        {
            if (skip.IsSpecified && item.Update.Member.Address == skip)
            {
                continue;
            }

            if (!tryWrite(item.Update))
            {
                break;
            }

            _taken.Add(item);
        }

        foreach (var item in _taken)
        {
            _ordered.Remove(item);
            var address = item.Update.Member.Address;
            if (item.Transmits + 1 >= limit)
            {
                _byMember.Remove(address);
                continue;
            }

            var next = item with { Transmits = item.Transmits + 1 };
            _byMember[address] = next;
            _ordered.Add(next);
        }

        return _taken.Count;
    }

    private sealed record Item(MemberUpdate Update, int Transmits, long Sequence);

    private sealed class ItemOrder : IComparer<Item>
    {
        public static readonly ItemOrder Instance = new();

        public int Compare(Item? x, Item? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            var c = x!.Transmits.CompareTo(y!.Transmits);
            return c != 0 ? c : y.Sequence.CompareTo(x.Sequence);
        }
    }
}
