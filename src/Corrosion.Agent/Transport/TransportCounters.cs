namespace Corrosion.Agent.Transport;

/// <summary>Monotonic counters of one transport; safe to read from any thread.</summary>
public sealed class TransportCounters
{
    private long _framesSent;
    private long _bytesSent;
    private long _framesReceived;
    private long _bytesReceived;
    private long _sendQueueDrops;
    private long _foreignClusterFrames;
    private long _oversizedFrames;
    private long _malformedStreams;
    private long _connectFailures;
    private long _sendTimeouts;
    private long _connections;
    private long _sessionsRefused;
    private long _linkWrites;
    private long _tlsRefusals;
    private long _certificateReloads;

    /// <summary>Frames written to a link.</summary>
    public long FramesSent => Volatile.Read(ref _framesSent);

    /// <summary>Bytes written to links (frames only).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Frames received and handed on (broadcast links and sessions).</summary>
    public long FramesReceived => Volatile.Read(ref _framesReceived);

    /// <summary>Bytes of the frames received and handed on.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Frames dropped because a peer's send queue was full, the frame too large, or the transport stopped.</summary>
    public long SendQueueDrops => Volatile.Read(ref _sendQueueDrops);

    /// <summary>Frames of another cluster, dropped on arrival.</summary>
    public long ForeignClusterFrames => Volatile.Read(ref _foreignClusterFrames);

    /// <summary>Frames larger than the maximum frame size (the stream carrying each was closed).</summary>
    public long OversizedFrames => Volatile.Read(ref _oversizedFrames);

    /// <summary>Streams closed because they carried something that is not a frame (or a bad link preface).</summary>
    public long MalformedStreams => Volatile.Read(ref _malformedStreams);

    /// <summary>Outbound connections that failed or timed out.</summary>
    public long ConnectFailures => Volatile.Read(ref _connectFailures);

    /// <summary>Writes that did not finish within the send timeout (the link was reset).</summary>
    public long SendTimeouts => Volatile.Read(ref _sendTimeouts);

    /// <summary>Outbound links established (first connections and reconnections).</summary>
    public long Connections => Volatile.Read(ref _connections);

    /// <summary>Writes on broadcast links; <see cref="FramesSent"/> / this is the coalescing factor.</summary>
    public long LinkWrites => Volatile.Read(ref _linkWrites);

    /// <summary>TLS handshakes refused because the peer's certificate was missing, expired or not signed by the configured CA (either side of the handshake).</summary>
    public long TlsRefusals => Volatile.Read(ref _tlsRefusals);

    /// <summary>Times the certificates were re-read from their files (<c>ReloadCertificates</c>, SIGHUP).</summary>
    public long CertificateReloads => Volatile.Read(ref _certificateReloads);

    /// <summary>Incoming sync sessions refused because the session queue was full.</summary>
    public long SessionsRefused => Volatile.Read(ref _sessionsRefused);

    internal void FrameBatchSent(int frames, int bytes)
    {
        Interlocked.Add(ref _framesSent, frames);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    internal void FrameReceived(int bytes)
    {
        Interlocked.Increment(ref _framesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    internal void LinkWrite() => Interlocked.Increment(ref _linkWrites);

    internal void SendQueueDrop() => Interlocked.Increment(ref _sendQueueDrops);

    internal void ForeignClusterFrame() => Interlocked.Increment(ref _foreignClusterFrames);

    internal void OversizedFrame() => Interlocked.Increment(ref _oversizedFrames);

    internal void MalformedStream() => Interlocked.Increment(ref _malformedStreams);

    internal void ConnectFailure() => Interlocked.Increment(ref _connectFailures);

    internal void SendTimeout() => Interlocked.Increment(ref _sendTimeouts);

    internal void Connected() => Interlocked.Increment(ref _connections);

    internal void SessionRefused() => Interlocked.Increment(ref _sessionsRefused);

    internal void TlsRefused() => Interlocked.Increment(ref _tlsRefusals);

    internal void CertificatesReloaded() => Interlocked.Increment(ref _certificateReloads);
}
