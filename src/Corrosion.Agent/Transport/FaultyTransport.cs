using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Wraps a transport and loses traffic to chosen peers, for partition and loss tests: frames to a
/// cut peer vanish silently (as on a real partition the sender does not learn of it), sessions to
/// it fail as a refused connection would, and a drop rate loses that share of the remaining frames.
/// A session opened before a cut fails at its next send or receive once the link is cut, as a connection
/// across a real partition stalls and resets: nothing it carries after the cut arrives. (Sessions are
/// cut on the side that opened them, the side changesets flow to.) Wrap every node's transport to cut
/// links both ways.
/// </summary>
public sealed class FaultyTransport : IGossipTransport
{
    private readonly IGossipTransport _inner;
    private readonly ConcurrentDictionary<EndPoint, byte> _cut = new();
    private readonly Random _random;
    private double _dropRate;
    private long _droppedFrames;
    private long _refusedSessions;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="random"/> decides random drops (seed it).</summary>
    public FaultyTransport(IGossipTransport inner, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _random = random ?? new Random(0);
    }

    /// <summary>Share of frames (0..1) to lose on links that are not cut.</summary>
    public double DropRate
    {
        get => Volatile.Read(ref _dropRate);
        set => Volatile.Write(ref _dropRate, Math.Clamp(value, 0, 1));
    }

    /// <summary>Frames this wrapper has thrown away.</summary>
    public long DroppedFrames => Interlocked.Read(ref _droppedFrames);

    /// <summary>Sessions this wrapper has refused.</summary>
    public long RefusedSessions => Interlocked.Read(ref _refusedSessions);

    /// <summary>Cuts the link to <paramref name="peer"/>.</summary>
    public void Cut(EndPoint peer) => _cut[peer] = 0;

    /// <summary>Restores the link to <paramref name="peer"/>.</summary>
    public void Heal(EndPoint peer) => _cut.TryRemove(peer, out _);

    /// <summary>Restores every link.</summary>
    public void HealAll() => _cut.Clear();

    /// <summary>True when the link to <paramref name="peer"/> is cut.</summary>
    public bool IsCut(EndPoint peer) => _cut.ContainsKey(peer);

    /// <inheritdoc />
    public EndPoint LocalEndPoint => _inner.LocalEndPoint;

    /// <inheritdoc />
    public TransportCounters Counters => _inner.Counters;

    /// <inheritdoc />
    public ChannelReader<ReceivedFrame> Frames => _inner.Frames;

    /// <inheritdoc />
    public ChannelReader<ISyncSession> IncomingSessions => _inner.IncomingSessions;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken ct) => _inner.StartAsync(ct);

    /// <inheritdoc />
    public IEnumerable<(EndPoint Peer, int Frames)> SendQueueDepths() => _inner.SendQueueDepths();

    /// <inheritdoc />
    public void Connect(EndPoint peer)
    {
        if (!IsCut(peer))
        {
            _inner.Connect(peer);
        }
    }

    /// <inheritdoc />
    public bool TrySend(EndPoint peer, ReadOnlyMemory<byte> frame)
    {
        if (IsCut(peer) || LoseOne())
        {
            Interlocked.Increment(ref _droppedFrames);
            return true;
        }

        return _inner.TrySend(peer, frame);
    }

    private bool LoseOne()
    {
        var rate = DropRate;
        if (rate <= 0)
        {
            return false;
        }

        lock (_random)
        {
            return _random.NextDouble() < rate;
        }
    }

    /// <inheritdoc />
    public Task<ISyncSession> OpenSessionAsync(EndPoint peer, CancellationToken ct)
    {
        if (IsCut(peer))
        {
            Interlocked.Increment(ref _refusedSessions);
            return Task.FromException<ISyncSession>(new SocketException((int)SocketError.ConnectionRefused));
        }

        return OpenAsync(peer, ct);
    }

    private async Task<ISyncSession> OpenAsync(EndPoint peer, CancellationToken ct) =>
        new CutAwareSession(this, peer, await _inner.OpenSessionAsync(peer, ct));

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    /// <inheritdoc />
    public bool ReloadCertificates() => _inner.ReloadCertificates();

    /// <summary>A session to <c>peer</c> that fails once the link to it is cut; a frame received after the cut is lost.</summary>
    private sealed class CutAwareSession(FaultyTransport owner, EndPoint peer, ISyncSession inner) : ISyncSession
    {
        public EndPoint Remote => inner.Remote;

        public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
        {
            ThrowIfCut();
            return inner.SendAsync(frame, ct);
        }

        public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken ct)
        {
            ThrowIfCut();
            var frame = await inner.ReceiveAsync(ct);
            ThrowIfCut();
            return frame;
        }

        public ValueTask CompleteAsync()
        {
            ThrowIfCut();
            return inner.CompleteAsync();
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private void ThrowIfCut()
        {
            if (owner.IsCut(peer))
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }
        }
    }
}
