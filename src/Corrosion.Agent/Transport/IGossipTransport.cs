using System.Net;
using System.Threading.Channels;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Carries gossip frames between nodes (DESIGN.md §7): fire-and-forget broadcast frames over a
/// persistent link per peer, and bidirectional sync sessions. Frames are whole
/// <see cref="Replication.ReplicationCodec"/> frames, length prefix included; the transport checks
/// only their size and cluster id, never their payload.
/// </summary>
public interface IGossipTransport : IAsyncDisposable
{
    /// <summary>The address this node listens on (the bound port when 0 was asked for); valid after <see cref="StartAsync"/>.</summary>
    EndPoint LocalEndPoint { get; }

    /// <summary>What the transport counted so far (drops, rejects, timeouts, bytes).</summary>
    TransportCounters Counters { get; }

    /// <summary>Binds the listener and starts accepting links and sessions.</summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>
    /// Queues a frame for <paramref name="peer"/> on its broadcast link; copies the frame, never blocks.
    /// False when the frame was dropped: the peer's send queue is full, the frame is larger than
    /// the maximum frame size, or the transport is stopped.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="frame"/> is not one whole frame (its length prefix disagrees).</exception>
    bool TrySend(EndPoint peer, ReadOnlyMemory<byte> frame);

    /// <summary>
    /// Opens the broadcast link to <paramref name="peer"/> now, before its first frame (a member came up),
    /// so the first broadcast after a join does not wait for connect and handshake. Never blocks; a
    /// failure is counted and left to the next frame's reconnect. The link still closes when idle.
    /// </summary>
    void Connect(EndPoint peer)
    {
    }

    /// <summary>Opens a sync session with <paramref name="peer"/>; fails within the connect timeout when the peer does not answer.</summary>
    Task<ISyncSession> OpenSessionAsync(EndPoint peer, CancellationToken ct);

    /// <summary>
    /// Re-reads <c>gossip.tls</c> certificate, key and CA from their files (SIGHUP, <c>corrosion reload</c>).
    /// New handshakes use them; links already open keep going. When reading fails, the previous
    /// certificates stay in use and the error is thrown (and logged).
    /// </summary>
    /// <returns>False when no certificate files are configured (nothing to reload).</returns>
    bool ReloadCertificates();

    /// <summary>Frames waiting on each peer's send queue (for metrics and <c>/v1/health</c>'s queue size).</summary>
    IEnumerable<(EndPoint Peer, int Frames)> SendQueueDepths() => [];

    /// <summary>Frames received on broadcast links (bounded: a slow reader slows the senders down).</summary>
    ChannelReader<ReceivedFrame> Frames { get; }

    /// <summary>Sync sessions opened by peers (bounded: sessions beyond the bound are refused).</summary>
    ChannelReader<ISyncSession> IncomingSessions { get; }
}
