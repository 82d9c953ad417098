using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Membership;

/// <summary>
/// Binary wire format of SWIM datagrams (big-endian):
/// <c>version:u8 cluster:u16 type:u8 sender:identity [seq:u32 [target:address]] count:u8 update*</c>,
/// where <c>identity = id:16 address inc:i64 started:i64</c>, <c>address = family:u8 (4|16 bytes) port:u16</c>
/// and <c>update = state:u8 identity [from:address if suspect]</c>, then optionally the sender's sync digest
/// <c>'D':u8 digest:16</c> (nodes without it reject the trailer). Decoding never throws.
/// </summary>
public static class SwimCodec
{
    /// <summary>The format version written and accepted.</summary>
    public const byte Version = 1;

    /// <summary>Smallest packet size limit that still fits any header plus one update.</summary>
    public const int MinimumPacketSize = 256;

    /// <summary>Bytes the sync digest trailer takes (tag and digest).</summary>
    public const int DigestTrailerSize = 1 + SyncDigest.Size;

    private const byte DigestTag = (byte)'D';
    private const byte FamilyV4 = 4;
    private const byte FamilyV6 = 6;

    /// <summary>Bytes an address takes on the wire.</summary>
    public static int AddressSize(NodeAddress address) =>
        address.Host?.AddressFamily == AddressFamily.InterNetworkV6 ? 1 + 16 + 2 : 1 + 4 + 2;

    /// <summary>Bytes an identity takes on the wire.</summary>
    public static int IdentitySize(MemberIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return ActorId.Size + AddressSize(identity.Address) + 8 + 8;
    }

    /// <summary>Bytes an update takes on the wire.</summary>
    public static int UpdateSize(in MemberUpdate update) =>
        1 + IdentitySize(update.Member) + (update.State == MemberState.Suspect ? AddressSize(update.From.IsSpecified ? update.From : update.Member.Address) : 0);

    /// <summary>
    /// Writes the header and body (everything before the updates) and a zero update count; returns the
    /// offset of the count byte. Call <see cref="WriteUpdate"/> after it and patch the count.
    /// </summary>
    public static int WriteHeader(Span<byte> destination, ushort clusterId, SwimMessageType type, MemberIdentity sender, uint sequence, NodeAddress target)
    {
        ArgumentNullException.ThrowIfNull(sender);
        var p = 0;
        destination[p++] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(destination[p..], clusterId);
        p += 2;
        destination[p++] = (byte)type;
        p += WriteIdentity(destination[p..], sender);
        if (HasSequence(type))
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[p..], sequence);
            p += 4;
        }

        if (type == SwimMessageType.PingReq)
        {
            p += WriteAddress(destination[p..], target);
        }

        destination[p] = 0;
        return p;
    }

    /// <summary>Writes one update; returns the bytes written.</summary>
    public static int WriteUpdate(Span<byte> destination, in MemberUpdate update)
    {
        destination[0] = (byte)update.State;
        var p = 1 + WriteIdentity(destination[1..], update.Member);
        if (update.State == MemberState.Suspect)
        {
            p += WriteAddress(destination[p..], update.From.IsSpecified ? update.From : update.Member.Address);
        }

        return p;
    }

    /// <summary>Writes the sync digest trailer (after the last update); returns the bytes written.</summary>
    public static int WriteDigest(Span<byte> destination, SyncDigest digest)
    {
        destination[0] = DigestTag;
        digest.WriteTo(destination[1..]);
        return DigestTrailerSize;
    }

    /// <summary>Encodes a whole packet (tests and tools); the core writes into its own buffer instead.</summary>
    public static byte[] Encode(SwimPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet.Updates.Count > byte.MaxValue)
        {
            throw new ArgumentException("at most 255 updates per packet", nameof(packet));
        }

        var size = 4 + IdentitySize(packet.Sender) + 4 + AddressSize(packet.Target) + 1 + DigestTrailerSize;
        foreach (var u in packet.Updates)
        {
            size += UpdateSize(u);
        }

        var buffer = new byte[size];
        var countAt = WriteHeader(buffer, packet.ClusterId, packet.Type, packet.Sender, packet.Sequence, packet.Target);
        var p = countAt + 1;
        foreach (var u in packet.Updates)
        {
            p += WriteUpdate(buffer.AsSpan(p), u);
        }

        if (packet.Digest is { } digest)
        {
            p += WriteDigest(buffer.AsSpan(p), digest);
        }

        buffer[countAt] = (byte)packet.Updates.Count;
        return buffer[..p];
    }

    /// <summary>Decodes a datagram; on failure returns false with the reason and never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out SwimPacket? packet, out PacketRejectReason reason)
    {
        packet = null;
        var reader = new Reader(data);
        if (!reader.TryByte(out var version))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        if (version != Version)
        {
            reason = PacketRejectReason.UnsupportedVersion;
            return false;
        }

        if (!reader.TryUInt16(out var clusterId) || !reader.TryByte(out var typeByte))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        var type = (SwimMessageType)typeByte;
        if (type is < SwimMessageType.Ping or > SwimMessageType.Gossip)
        {
            reason = PacketRejectReason.UnknownMessageType;
            return false;
        }

        if (!TryReadIdentity(ref reader, clusterId, out var sender, out reason))
        {
            return false;
        }

        uint sequence = 0;
        if (HasSequence(type) && !reader.TryUInt32(out sequence))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        NodeAddress target = default;
        if (type == SwimMessageType.PingReq && !TryReadAddress(ref reader, out target, out reason))
        {
            return false;
        }

        if (!reader.TryByte(out var count))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        var updates = new MemberUpdate[count];
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryByte(out var stateByte))
            {
                reason = PacketRejectReason.Truncated;
                return false;
            }

            var state = (MemberState)stateByte;
            if (state is < MemberState.Alive or > MemberState.Left)
            {
                reason = PacketRejectReason.BadMemberState;
                return false;
            }

            if (!TryReadIdentity(ref reader, clusterId, out var member, out reason))
            {
                return false;
            }

            NodeAddress from = default;
            if (state == MemberState.Suspect && !TryReadAddress(ref reader, out from, out reason))
            {
                return false;
            }

            updates[i] = new MemberUpdate(member!, state, from);
        }

        SyncDigest? digest = null;
        if (reader.Remaining == DigestTrailerSize && reader.TryByte(out var tag) && tag == DigestTag && reader.TrySlice(SyncDigest.Size, out var digestBytes))
        {
            digest = SyncDigest.Read(digestBytes);
        }

        if (reader.Remaining != 0)
        {
            reason = PacketRejectReason.TrailingBytes;
            return false;
        }

        packet = new SwimPacket(clusterId, type, sender!, sequence, target, updates) { Digest = digest };
        reason = PacketRejectReason.None;
        return true;
    }

    private static bool HasSequence(SwimMessageType type) =>
        type is SwimMessageType.Ping or SwimMessageType.Ack or SwimMessageType.PingReq or SwimMessageType.Nack;

    private static int WriteAddress(Span<byte> destination, NodeAddress address)
    {
        var host = address.Host ?? IPAddress.Any;
        var v6 = host.AddressFamily == AddressFamily.InterNetworkV6;
        destination[0] = v6 ? FamilyV6 : FamilyV4;
        host.TryWriteBytes(destination[1..], out var written);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(1 + written)..], (ushort)address.Port);
        return 1 + written + 2;
    }

    private static int WriteIdentity(Span<byte> destination, MemberIdentity identity)
    {
        identity.Id.WriteTo(destination);
        var p = ActorId.Size + WriteAddress(destination[ActorId.Size..], identity.Address);
        BinaryPrimitives.WriteInt64BigEndian(destination[p..], identity.Incarnation);
        BinaryPrimitives.WriteInt64BigEndian(destination[(p + 8)..], identity.StartedAtMs);
        return p + 16;
    }

    private static bool TryReadAddress(ref Reader reader, out NodeAddress address, out PacketRejectReason reason)
    {
        address = default;
        if (!reader.TryByte(out var family))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        var length = family switch { FamilyV4 => 4, FamilyV6 => 16, _ => 0 };
        if (length == 0)
        {
            reason = PacketRejectReason.BadAddress;
            return false;
        }

        if (!reader.TrySlice(length, out var bytes) || !reader.TryUInt16(out var port))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        address = new NodeAddress(new IPAddress(bytes), port);
        reason = PacketRejectReason.None;
        return true;
    }

    private static bool TryReadIdentity(ref Reader reader, ushort clusterId, out MemberIdentity? identity, out PacketRejectReason reason)
    {
        identity = null;
        if (!reader.TrySlice(ActorId.Size, out var idBytes))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        if (!TryReadAddress(ref reader, out var address, out reason))
        {
            return false;
        }

        if (!reader.TryInt64(out var incarnation) || !reader.TryInt64(out var startedAt))
        {
            reason = PacketRejectReason.Truncated;
            return false;
        }

        identity = new MemberIdentity(ActorId.FromBytes(idBytes), address, incarnation, clusterId, startedAt);
        return true;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly int Remaining => _data.Length - _position;

        public bool TrySlice(int length, out ReadOnlySpan<byte> slice)
        {
            if (Remaining < length)
            {
                slice = default;
                return false;
            }

            slice = _data.Slice(_position, length);
            _position += length;
            return true;
        }

        public bool TryByte(out byte value)
        {
            var ok = TrySlice(1, out var s);
            value = ok ? s[0] : (byte)0;
            return ok;
        }

        public bool TryUInt16(out ushort value)
        {
            var ok = TrySlice(2, out var s);
            value = ok ? BinaryPrimitives.ReadUInt16BigEndian(s) : (ushort)0;
            return ok;
        }

        public bool TryUInt32(out uint value)
        {
            var ok = TrySlice(4, out var s);
            value = ok ? BinaryPrimitives.ReadUInt32BigEndian(s) : 0;
            return ok;
        }

        public bool TryInt64(out long value)
        {
            var ok = TrySlice(8, out var s);
            value = ok ? BinaryPrimitives.ReadInt64BigEndian(s) : 0;
            return ok;
        }
    }
}
