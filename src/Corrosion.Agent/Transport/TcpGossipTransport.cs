using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Gossip over TCP (DESIGN.md §7): one persistent framed connection per peer for broadcasts, a
/// fresh connection per sync session, TLS through <see cref="SslStream"/> (mutual when a CA is
/// configured, else a self-signed one with a warning). Plaintext only with <c>gossip.plaintext = true</c>.
/// </summary>
public sealed class TcpGossipTransport : IGossipTransport
{
    private readonly TransportOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ConcurrentDictionary<EndPoint, PeerOutbox> _outboxes = new();
    private readonly ConcurrentDictionary<Socket, byte> _inbound = new();
    private readonly Channel<ReceivedFrame> _frames;
    private readonly Channel<ISyncSession> _sessions;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TransportTls> _retiredTls = [];
    private Socket? _listener;
    private TransportTls? _tls;

    /// <summary>True once started with TLS (configured, or the self-signed fallback); false for plaintext.</summary>
    public bool IsEncrypted => _tls is not null;
    private Task? _acceptLoop;
    private int _disposed;

    /// <summary>Makes a transport; nothing is bound until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The settings; validated at start.</param>
    /// <param name="logger">Where to log (nothing by default).</param>
    /// <param name="time">Clock for backoff delays (system by default).</param>
    /// <param name="random">Source of backoff jitter (seed it in tests).</param>
    public TcpGossipTransport(TransportOptions options, ILogger? logger = null, TimeProvider? time = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _random = random ?? new Random();
        _frames = Channel.CreateBounded<ReceivedFrame>(new BoundedChannelOptions(options.ReceiveQueue) { FullMode = BoundedChannelFullMode.Wait });
        _sessions = Channel.CreateBounded<ISyncSession>(new BoundedChannelOptions(options.IncomingSessionQueue) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <inheritdoc />
    public EndPoint LocalEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("the transport is not started");

    /// <inheritdoc />
    public TransportCounters Counters { get; } = new();

    /// <inheritdoc />
    public ChannelReader<ReceivedFrame> Frames => _frames.Reader;

    /// <inheritdoc />
    public ChannelReader<ISyncSession> IncomingSessions => _sessions.Reader;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken ct)
    {
        _options.Validate();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("the transport is already started");
        }

        // Without configured certificates the link is still encrypted (a self-signed certificate, as
        // Corrosion's QUIC does), unless plaintext is asked for explicitly; both say so loudly.
        _tls = TransportTls.FromOptions(_options) ?? (_options.Plaintext ? null : TransportTls.SelfSigned(_logger));
        if (_tls is null)
        {
            TransportLog.PlaintextWarning(_logger);
        }

        var listener = new Socket(_options.BindEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Lets a restarted node bind its port again while old connections linger in TIME_WAIT.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(_options.BindEndPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        TransportLog.Listening(_logger, "tcp", listener.LocalEndPoint!, _tls is null ? "plaintext" : _tls.MutualTls ? "mutual TLS" : "TLS");
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public IEnumerable<(EndPoint Peer, int Frames)> SendQueueDepths() => _outboxes.Select(static o => (o.Key, o.Value.Queued));

    /// <inheritdoc />
    public void Connect(EndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (_disposed == 0 && _listener is not null)
        {
            _outboxes.GetOrAdd(peer, p => new PeerOutbox(p, _options, Counters, ConnectLinkAsync, _time, NextJitter, _logger)).Open();
        }
    }

    /// <inheritdoc />
    public bool TrySend(EndPoint peer, ReadOnlyMemory<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(peer);
        FrameCheck.EnsureWholeFrame(frame.Span, nameof(frame));
        if (_disposed != 0 || _listener is null || frame.Length > _options.MaxFrameSize)
        {
            if (frame.Length > _options.MaxFrameSize)
            {
                Counters.OversizedFrame();
            }

            Counters.SendQueueDrop();
            return false;
        }

        var outbox = _outboxes.GetOrAdd(peer, p => new PeerOutbox(p, _options, Counters, ConnectLinkAsync, _time, NextJitter, _logger));
        return outbox.TryEnqueue(frame);
    }

    private double NextJitter()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }

    /// <inheritdoc />
    public async Task<ISyncSession> OpenSessionAsync(EndPoint peer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        var (socket, stream) = await ConnectAsync(peer, LinkPurpose.Sync, linked.Token);
        return new TcpSyncSession(socket, stream, peer, _options, Counters);
    }

    private async Task<IOutboundLink> ConnectLinkAsync(EndPoint peer, CancellationToken ct)
    {
        var (socket, stream) = await ConnectAsync(peer, LinkPurpose.Broadcast, ct);
        return new TcpOutboundLink(socket, stream);
    }

    /// <summary>Connects, secures and greets within the connect timeout.</summary>
    private async Task<(Socket Socket, Stream Stream)> ConnectAsync(EndPoint peer, LinkPurpose purpose, CancellationToken ct)
    {
        var socket = peer.AddressFamily == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(peer.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        Stream? stream = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(peer, timeout.Token);
            stream = new NetworkStream(socket, ownsSocket: false);
            if (Volatile.Read(ref _tls) is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                string? refused = null;
                try
                {
                    await ssl.AuthenticateAsClientAsync(tls.ClientOptions(tls.TargetHostFor(peer), onRefused: r => refused = r), timeout.Token);
                }
                catch (AuthenticationException) when (refused is not null)
                {
                    Counters.TlsRefused();
                    TransportLog.TlsPeerRefused(_logger, peer, refused);
                    throw new AuthenticationException($"refused the certificate of {peer}: {refused}");
                }
            }

            var preface = new byte[LinkPreface.Size];
            LinkPreface.Write(preface, purpose, (ushort)((IPEndPoint)_listener!.LocalEndPoint!).Port);
            await stream.WriteAsync(preface, timeout.Token);
            await stream.FlushAsync(timeout.Token);
            var ack = new byte[1];
            await stream.ReadExactlyAsync(ack, timeout.Token);
            if (ack[0] != LinkPreface.Ack)
            {
                throw new InvalidDataException($"peer {peer} answered the greeting with {ack[0]}");
            }

            return (socket, stream);
        }
        catch (Exception ex)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            socket.Dispose();
            if (ex is OperationCanceledException && !ct.IsCancellationRequested)
            {
                throw new TimeoutException($"connecting to {peer} took longer than gossip.connect_timeout = {_options.ConnectTimeout}", ex);
            }

            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(stopping);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            socket.NoDelay = true;
            _inbound.TryAdd(socket, 0);
            _ = Task.Run(() => ServeAsync(socket, stopping), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        var remote = socket.RemoteEndPoint;
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        var handedOff = false;
        try
        {
            LinkPurpose purpose;
            using (var greeting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                greeting.CancelAfter(_options.ConnectTimeout);
                if (Volatile.Read(ref _tls) is { } tls)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = ssl;
                    string? refused = null;
                    try
                    {
                        await ssl.AuthenticateAsServerAsync(tls.ServerOptions(onRefused: r => refused = r), greeting.Token);
                    }
                    catch (AuthenticationException) when (refused is not null)
                    {
                        Counters.TlsRefused();
                        TransportLog.TlsPeerRefused(_logger, remote, refused);
                        return;
                    }
                }

                var preface = new byte[LinkPreface.Size];
                await stream.ReadExactlyAsync(preface, greeting.Token);
                if (!LinkPreface.TryRead(preface, out purpose, out var port))
                {
                    Counters.MalformedStream();
                    TransportLog.StreamClosed(_logger, remote, "bad greeting (not a gossip peer, or another release)");
                    return;
                }

                if (remote is IPEndPoint ip && port != 0)
                {
                    remote = new IPEndPoint(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address, port);
                }

                await stream.WriteAsync(new[] { LinkPreface.Ack }, greeting.Token);
                await stream.FlushAsync(greeting.Token);
            }

            if (purpose == LinkPurpose.Sync)
            {
                var session = new TcpSyncSession(socket, stream, remote!, _options, Counters);
                if (_sessions.Writer.TryWrite(session))
                {
                    // From here the session's owner closes it.
                    handedOff = true;
                    _inbound.TryRemove(socket, out _);
                    return;
                }

                Counters.SessionRefused();
                await session.DisposeAsync();
                return;
            }

            // Peers close idle links after the idle timeout; allow them twice that before giving up on a silent one.
            await using var reader = new FrameStreamReader(stream, _options, Counters, _options.IdleTimeout * 2);
            while (await reader.ReadAsync(stopping) is { } frame)
            {
                Replication.ReplicationTrace.Frames("wire.recv", frame, remote);
                await _frames.Writer.WriteAsync(new ReceivedFrame(remote!, frame), stopping);
            }
        }
        catch (InvalidDataException ex)
        {
            TransportLog.StreamClosed(_logger, remote, ex.Message);
        }
        catch (Exception ex)
        {
            TransportLog.InboundEnded(_logger, remote, ex);
        }
        finally
        {
            if (!handedOff)
            {
                _inbound.TryRemove(socket, out _);
                await stream.DisposeAsync();
                socket.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public bool ReloadCertificates()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_options.HasCertificate)
        {
            return false;
        }

        var fresh = TransportTls.Reload(_options, _logger);
        var old = Interlocked.Exchange(ref _tls, fresh);
        if (old is not null)
        {
            // Open links may still refer to it; it is disposed with the transport.
            lock (_retiredTls)
            {
                _retiredTls.Add(old);
            }
        }

        Counters.CertificatesReloaded();
        return true;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener?.Dispose();
        foreach (var outbox in _outboxes.Values)
        {
            await outbox.DisposeAsync();
        }

        foreach (var socket in _inbound.Keys)
        {
            socket.Dispose();
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        _frames.Writer.TryComplete();
        _sessions.Writer.TryComplete();
        while (_sessions.Reader.TryRead(out var session))
        {
            await session.DisposeAsync();
        }

        _tls?.Dispose();
        lock (_retiredTls)
        {
            foreach (var retired in _retiredTls)
            {
                retired.Dispose();
            }
        }

        _stopping.Dispose();
    }
}
