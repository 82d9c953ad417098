using System.Buffers.Binary;
using System.Net;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

/// <summary>
/// A per-change timeline of the replication path for the propagation bench (which path delivered a
/// change, and how long each hop took): null by default, so the hot path pays one static read. The
/// hook is called with the hop's name, the change's origin actor and version, and the peer (or null).
/// </summary>
internal static class ReplicationTrace
{
    /// <summary>Set by a bench before the node starts; never set in a real node.</summary>
    public static Action<string, ActorId, long, EndPoint?>? Hook { get; set; }

    public static void Changeset(string hop, Changeset changeset, EndPoint? peer = null)
    {
        if (Hook is { } hook && changeset is ChangesetFull full)
        {
            hook(hop, full.Actor, full.Version, peer);
        }
    }

    /// <summary>Reports each broadcast changeset in <paramref name="frames"/> (whole frames back to back).</summary>
    public static void Frames(string hop, ReadOnlySpan<byte> frames, EndPoint? peer)
    {
        if (Hook is not { } hook)
        {
            return;
        }

        while (frames.Length >= FrameHeader.LengthPrefixSize)
        {
            var size = FrameHeader.LengthPrefixSize + (int)BinaryPrimitives.ReadUInt32LittleEndian(frames);
            if (size > frames.Length)
            {
                return;
            }

            var decoded = ReplicationCodec.TryDecode(frames[..size]);
            if (decoded.IsSuccess && decoded.Message is BroadcastChangeset { Changeset: ChangesetFull full })
            {
                hook(hop, full.Actor, full.Version, peer);
            }

            frames = frames[size..];
        }
    }
}
