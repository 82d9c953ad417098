using System.Buffers;
using Corrosion.Agent.Replication.Wire;

namespace Corrosion.Agent.Replication;

/// <summary>
/// The gossip wire codec (DESIGN.md §5): every message travels in one frame
/// <c>[u32 length][u8 kind][u8 version][u16 cluster id][payload]</c>, little-endian. Encoding
/// measures first and writes once into the caller's buffer (a pooled writer on the hot path);
/// decoding never throws on bad input and returns an error with a reason instead.
/// </summary>
public static partial class ReplicationCodec
{
    /// <summary>The format version this node writes and the only one it reads.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Encodes <paramref name="message"/> as one frame into <paramref name="output"/>; returns the frame's size.</summary>
    public static int Encode(ushort clusterId, WireMessage message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        var size = GetEncodedSize(message);
        var span = output.GetSpan(size)[..size];
        Write(clusterId, message, span);
        output.Advance(size);
        return size;
    }

    /// <summary>Encodes <paramref name="message"/> as one frame in a new array.</summary>
    public static byte[] Encode(ushort clusterId, WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var frame = new byte[GetEncodedSize(message)];
        Write(clusterId, message, frame);
        return frame;
    }

    /// <summary>The size in bytes of the frame <paramref name="message"/> encodes to, header included.</summary>
    public static int GetEncodedSize(WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var size = FrameHeader.Size + MeasurePayload(message);
        return size <= int.MaxValue ? (int)size : throw new ArgumentException("message too large for one frame", nameof(message));
    }

    /// <summary>Decodes one whole frame of any cluster.</summary>
    public static DecodeResult TryDecode(ReadOnlySpan<byte> frame) => Decode(frame, null);

    /// <summary>Decodes one whole frame; a frame of another cluster than <paramref name="expectedClusterId"/> is an error.</summary>
    public static DecodeResult TryDecode(ReadOnlySpan<byte> frame, ushort expectedClusterId) => Decode(frame, expectedClusterId);
}
