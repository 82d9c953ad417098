using System.Buffers.Binary;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>
/// The fixed 8-byte start of every frame:
/// <c>[u32 length][u8 kind][u8 format version][u16 cluster id]</c>, little-endian, where length
/// counts every byte after the length field itself (so a frame is <c>4 + length</c> bytes).
/// </summary>
/// <param name="Length">Bytes after the length field.</param>
/// <param name="Kind">The frame kind (not checked against known kinds here).</param>
/// <param name="Version">The format version.</param>
/// <param name="ClusterId">The sender's cluster id.</param>
public readonly record struct FrameHeader(uint Length, FrameKind Kind, byte Version, ushort ClusterId)
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Size = 8;

    /// <summary>Size of the length prefix in bytes.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>Smallest legal value of <see cref="Length"/> (kind, version and cluster id, no payload).</summary>
    public const uint MinLength = Size - LengthPrefixSize;

    /// <summary>Total size of the frame, length prefix included.</summary>
    public long FrameSize => LengthPrefixSize + (long)Length;

    /// <summary>Reads a header from the first <see cref="Size"/> bytes; false when fewer are given.</summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out FrameHeader header)
    {
        if (buffer.Length < Size)
        {
            header = default;
            return false;
        }

        header = new FrameHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(buffer),
            (FrameKind)buffer[4],
            buffer[5],
            BinaryPrimitives.ReadUInt16LittleEndian(buffer[6..]));
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Length);
        destination[4] = (byte)Kind;
        destination[5] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ClusterId);
    }
}
