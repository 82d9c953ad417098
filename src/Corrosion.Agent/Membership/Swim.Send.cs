namespace Corrosion.Agent.Membership;

/// <summary>Building datagrams: header, then rumours until the packet is full.</summary>
public sealed partial class Swim
{
    private void Send(NodeAddress to, SwimMessageType type, uint sequence, NodeAddress target, ISwimRuntime runtime)
    {
        _writeCount = 0;
        var digest = _digests?.Local;
        _writeLimit = _buffer.Length - (digest is null ? 0 : SwimCodec.DigestTrailerSize);
        _countAt = SwimCodec.WriteHeader(_buffer, _self.ClusterId, type, _self, sequence, target);
        _writePosition = _countAt + 1;
        var skip = default(NodeAddress);
        if (_members.TryGetValue(to, out var entry)
            && ((entry.State == MemberState.Suspect && _options.LifeguardEnabled) || entry.State == MemberState.Down))
        {
            // Lifeguard's buddy system: tell a suspect first, so it can refute at once. A member we hold
            // down is told too (with or without Lifeguard): that is how healed partitions merge.
            TryWriteUpdate(Rumour(entry));
            skip = to;
        }

        if (type == SwimMessageType.Feed)
        {
            WriteFeed(to);
        }

        var n = _active.Count + 1;
        var limit = _options.RetransmitMult * (int)Math.Ceiling(Math.Log10(n + 1));
        _broadcasts.Fill(_tryWrite, Math.Max(1, limit), skip);
        if (digest is { } d)
        {
            _writePosition += SwimCodec.WriteDigest(_buffer.AsSpan(_writePosition), d);
        }

        _buffer[_countAt] = (byte)_writeCount;
        runtime.Send(to, _buffer.AsSpan(0, _writePosition));
        Counters.PacketsSent++;
    }

    private bool TryWriteUpdate(MemberUpdate update)
    {
        var size = SwimCodec.UpdateSize(update);
        if (_writeCount == byte.MaxValue || _writePosition + size > _writeLimit)
        {
            return false;
        }

        SwimCodec.WriteUpdate(_buffer.AsSpan(_writePosition), update);
        _writePosition += size;
        _writeCount++;
        return true;
    }

    /// <summary>Fills a joining node's feed with a random sample of active members.</summary>
    private void WriteFeed(NodeAddress to)
    {
        var start = _active.Count == 0 ? 0 : _random.Next(_active.Count);
        for (var i = 0; i < _active.Count; i++)
        {
            var address = _active[(start + i) % _active.Count];
            if (address == to || !_members.TryGetValue(address, out var entry))
            {
                continue;
            }

            if (!TryWriteUpdate(new MemberUpdate(entry.Identity, MemberState.Alive)))
            {
                break;
            }
        }
    }
}
