using System.Buffers.Binary;
using System.Security.Cryptography;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// A 128-bit fingerprint of what a node has and lacks: its <see cref="SyncState"/> heads, gaps and
/// partial needs, without the node's own id. Two nodes with equal digests hold the same versions of
/// every actor, so a sync session between them would pull nothing; the digest rides on SWIM packets
/// so a round can skip such peers without opening a connection (DESIGN.md §5).
/// </summary>
/// <param name="Hi">The first 8 bytes of the SHA-256 of the canonical state.</param>
/// <param name="Lo">The next 8 bytes.</param>
public readonly record struct SyncDigest(ulong Hi, ulong Lo)
{
    /// <summary>Bytes a digest takes on the wire.</summary>
    public const int Size = 16;

    /// <summary>The digest of a state: actors in id order, each with its head, its gaps and its partial versions' missing seqs, in order.</summary>
    /// <param name="state">The state (its <see cref="SyncState.Actor"/> is not part of the digest).</param>
    /// <returns>The digest.</returns>
    public static SyncDigest Of(SyncState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[ActorId.Size + 8];
        var actors = state.Heads.Keys.Concat(state.Needs.Keys).Concat(state.PartialNeeds.Keys).Distinct().Order();
        foreach (var actor in actors)
        {
            actor.WriteTo(buffer);
            BinaryPrimitives.WriteInt64LittleEndian(buffer[ActorId.Size..], state.Heads.GetValueOrDefault(actor));
            hash.AppendData(buffer);
            var gaps = state.Needs.TryGetValue(actor, out var g) ? g.OrderBy(static r => r.Start).ToList() : [];
            AppendLong(hash, gaps.Count);
            foreach (var gap in gaps)
            {
                AppendLong(hash, gap.Start);
                AppendLong(hash, gap.End);
            }

            var partials = state.PartialNeeds.TryGetValue(actor, out var p) ? p.OrderBy(static e => e.Key).ToList() : [];
            AppendLong(hash, partials.Count);
            foreach (var (version, seqs) in partials)
            {
                AppendLong(hash, version);
                AppendLong(hash, seqs.Count);
                foreach (var seq in seqs.OrderBy(static s => s.Start))
                {
                    AppendLong(hash, seq.Start);
                    AppendLong(hash, seq.End);
                }
            }
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return Read(digest);
    }

    /// <summary>Reads a digest from its first <see cref="Size"/> bytes.</summary>
    /// <param name="bytes">At least <see cref="Size"/> bytes.</param>
    /// <returns>The digest.</returns>
    public static SyncDigest Read(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    /// <summary>Writes the digest into the first <see cref="Size"/> bytes.</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, Hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Lo);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Hi:x16}{Lo:x16}";

    private static void AppendLong(IncrementalHash hash, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }
}
