using System.Buffers.Binary;
using Corrosion.Agent.Replication.Wire;

namespace Corrosion.Agent.Transport;

/// <summary>Checks outgoing bytes are one whole frame, so a caller's bug cannot desynchronise a link.</summary>
internal static class FrameCheck
{
    public static void EnsureWholeFrame(ReadOnlySpan<byte> frame, string paramName)
    {
        if (frame.Length < FrameHeader.Size || BinaryPrimitives.ReadUInt32LittleEndian(frame) != (uint)(frame.Length - FrameHeader.LengthPrefixSize))
        {
            throw new ArgumentException($"not one whole frame: {frame.Length} bytes whose length prefix does not match (use ReplicationCodec.Encode)", paramName);
        }
    }
}
