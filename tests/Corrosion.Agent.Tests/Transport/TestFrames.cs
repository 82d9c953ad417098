using System.Buffers.Binary;
using Corrosion.Agent.Replication.Wire;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>Builds frames whose content proves they arrived whole: an index and a position-dependent pattern.</summary>
internal static class TestFrames
{
    public static byte[] Make(int index, int size, ushort cluster = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, FrameHeader.Size + 4);

        var frame = new byte[size];
        new FrameHeader((uint)(size - FrameHeader.LengthPrefixSize), FrameKind.Ping, 1, cluster).WriteTo(frame);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(FrameHeader.Size), index);
        for (var i = FrameHeader.Size + 4; i < size; i++)
        {
            frame[i] = (byte)(index + i);
        }

        return frame;
    }

    /// <summary>The index of a frame made by <see cref="Make"/>, after checking every byte of it.</summary>
    public static int IndexOf(ReadOnlySpan<byte> frame)
    {
        Assert.True(FrameHeader.TryRead(frame, out var header));
        Assert.Equal(frame.Length, (int)header.FrameSize);
        var index = BinaryPrimitives.ReadInt32LittleEndian(frame[FrameHeader.Size..]);
        for (var i = FrameHeader.Size + 4; i < frame.Length; i++)
        {
            if (frame[i] != (byte)(index + i))
            {
                Assert.Fail($"frame {index} corrupted at byte {i}");
            }
        }

        return index;
    }
}
