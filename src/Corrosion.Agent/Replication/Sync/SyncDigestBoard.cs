using System.Collections.Concurrent;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// Where membership and replication meet over sync digests: gossip publishes this node's current
/// <see cref="SyncDigest"/> (or none while its state changes), SWIM writes it on every datagram it
/// sends and records the digest each member sent with its own datagrams. Thread-safe; a digest is
/// stamped with the time it was heard, so stale ones can be ignored.
/// </summary>
public sealed class SyncDigestBoard
{
    private readonly ConcurrentDictionary<ActorId, Heard> _peers = new();
    private readonly TimeProvider _time;
    private Heard? _local;

    /// <summary>Creates an empty board.</summary>
    /// <param name="time">The clock that stamps what is heard; null for the system clock.</param>
    public SyncDigestBoard(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>This node's digest, when its state has not changed since it was computed; null otherwise (then none is sent).</summary>
    public SyncDigest? Local => Volatile.Read(ref _local)?.Digest;

    /// <summary>How long ago <see cref="Local"/> was published; <see cref="TimeSpan.MaxValue"/> when there is none.</summary>
    public TimeSpan LocalAge => Volatile.Read(ref _local) is { } local ? _time.GetElapsedTime(local.At) : TimeSpan.MaxValue;

    /// <summary>Publishes this node's digest (null withdraws it: the state changed and the digest is not known yet).</summary>
    /// <param name="digest">The digest of the state as now, or null.</param>
    public void Publish(SyncDigest? digest) =>
        Volatile.Write(ref _local, digest is { } d ? new Heard(d, _time.GetTimestamp()) : null);

    /// <summary>Records what a member sent (null: it sent none, so what it sent before no longer holds).</summary>
    /// <param name="member">The member.</param>
    /// <param name="digest">The digest on its datagram, or null.</param>
    public void Record(ActorId member, SyncDigest? digest)
    {
        if (digest is { } d)
        {
            _peers[member] = new Heard(d, _time.GetTimestamp());
        }
        else
        {
            _peers.TryRemove(member, out _);
        }
    }

    /// <summary>Whether <paramref name="member"/>'s last digest equals <paramref name="ours"/> and was heard within <paramref name="maxAge"/>.</summary>
    /// <param name="member">The peer.</param>
    /// <param name="ours">This node's digest.</param>
    /// <param name="maxAge">How old a heard digest may be and still count.</param>
    /// <returns>True when a sync session with the peer would pull nothing.</returns>
    public bool Matches(ActorId member, SyncDigest ours, TimeSpan maxAge) =>
        _peers.TryGetValue(member, out var heard) && heard.Digest == ours && _time.GetElapsedTime(heard.At) <= maxAge;

    /// <summary>Forgets a member (it went down: its next life starts with nothing heard).</summary>
    /// <param name="member">The member.</param>
    public void Forget(ActorId member) => _peers.TryRemove(member, out _);

    private sealed record Heard(SyncDigest Digest, long At);
}
