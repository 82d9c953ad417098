using System.Buffers.Binary;

namespace Corrosion.Agent.Transport;

/// <summary>
/// The greeting a TCP client sends after connecting (and after TLS): what the connection is for
/// and the client's own gossip port. The server answers one <see cref="Ack"/> byte, so a peer that
/// accepts connections but never serves them is noticed within the connect timeout.
/// Layout: <c>"CORO" u8 version u8 purpose u16 port</c>.
/// </summary>
internal static class LinkPreface
{
    public const int Size = 8;
    public const byte Version = 1;
    public const byte Ack = 0x06;

    public static void Write(Span<byte> destination, LinkPurpose purpose, ushort port)
    {
        "CORO"u8.CopyTo(destination);
        destination[4] = Version;
        destination[5] = (byte)purpose;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], port);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out LinkPurpose purpose, out ushort port)
    {
        purpose = (LinkPurpose)source[5];
        port = BinaryPrimitives.ReadUInt16LittleEndian(source[6..]);
        return source[..4].SequenceEqual("CORO"u8)
            && source[4] == Version
            && purpose is LinkPurpose.Broadcast or LinkPurpose.Sync;
    }
}

/// <summary>What a TCP connection carries.</summary>
internal enum LinkPurpose : byte
{
    Broadcast = 1,
    Sync = 2,
}
