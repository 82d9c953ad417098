using System.Collections.Concurrent;
using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Gossip over QUIC (System.Net.Quic, needs libmsquic): one cached connection per peer, a
/// unidirectional stream per broadcast batch, a bidirectional stream per sync session, ALPN
/// <c>corro</c>. QUIC always encrypts: without configured certificates a self-signed one is made
/// and a loud warning logged.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
public sealed class QuicGossipTransport : IGossipTransport
{
    /// <summary>The ALPN protocol name of gossip.</summary>
    public const string Alpn = "corro";

    private const long NoError = 0;
    private const long StreamAborted = 1;
    private const int MaxStreamsPerConnection = 256;

    private static readonly List<SslApplicationProtocol> AlpnList = [new SslApplicationProtocol(Alpn)];

    private readonly TransportOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ConcurrentDictionary<EndPoint, PeerOutbox> _outboxes = new();
    private readonly ConcurrentDictionary<EndPoint, Lazy<Task<QuicConnection>>> _connections = new();
    private readonly ConcurrentDictionary<QuicConnection, byte> _inbound = new();
    private readonly Channel<ReceivedFrame> _frames;
    private readonly Channel<ISyncSession> _sessions;
    private readonly CancellationTokenSource _stopping = new();
    private QuicListener? _listener;
    private TransportTls? _tls;
    private readonly List<TransportTls> _retiredTls = [];
    private Task? _acceptLoop;
    private int _disposed;

    /// <summary>Makes a transport; nothing is bound until <see cref="StartAsync"/>.</summary>
    public QuicGossipTransport(TransportOptions options, ILogger? logger = null, TimeProvider? time = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _random = random ?? new Random();
        _frames = Channel.CreateBounded<ReceivedFrame>(new BoundedChannelOptions(options.ReceiveQueue) { FullMode = BoundedChannelFullMode.Wait });
        _sessions = Channel.CreateBounded<ISyncSession>(new BoundedChannelOptions(options.IncomingSessionQueue) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>True when this platform can run QUIC (libmsquic present).</summary>
    public static bool IsSupported => QuicListener.IsSupported && QuicConnection.IsSupported;

    /// <inheritdoc />
    public EndPoint LocalEndPoint => _listener?.LocalEndPoint ?? throw new InvalidOperationException("the transport is not started");

    /// <inheritdoc />
    public TransportCounters Counters { get; } = new();

    /// <inheritdoc />
    public ChannelReader<ReceivedFrame> Frames => _frames.Reader;

    /// <inheritdoc />
    public ChannelReader<ISyncSession> IncomingSessions => _sessions.Reader;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken ct)
    {
        _options.Validate();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("QUIC is not supported here: libmsquic not found");
        }

        _tls = TransportTls.FromOptions(_options) ?? TransportTls.SelfSigned(_logger);
        // Built per connection, so a certificate reload applies to the next handshake.
        QuicServerConnectionOptions ServerConnectionOptions() => new()
        {
            DefaultStreamErrorCode = StreamAborted,
            DefaultCloseErrorCode = NoError,
            IdleTimeout = _options.IdleTimeout,
            MaxInboundUnidirectionalStreams = MaxStreamsPerConnection,
            MaxInboundBidirectionalStreams = MaxStreamsPerConnection,
            ServerAuthenticationOptions = Volatile.Read(ref _tls)!.ServerOptions(AlpnList, r =>
            {
                Counters.TlsRefused();
                TransportLog.TlsPeerRefused(_logger, null, r);
            }),
        };
        _listener = await QuicListener.ListenAsync(
            new QuicListenerOptions
            {
                ListenEndPoint = _options.BindEndPoint,
                ApplicationProtocols = AlpnList,
                ConnectionOptionsCallback = (_, _, _) => ValueTask.FromResult(ServerConnectionOptions()),
            },
            ct);
        TransportLog.Listening(_logger, "quic", _listener.LocalEndPoint, _tls.MutualTls ? "mutual TLS" : "TLS");
        _acceptLoop = Task.Run(AcceptLoopAsync, CancellationToken.None);
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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stopping.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            var connection = await GetConnectionAsync(peer, timeout.Token);
            var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, timeout.Token);
            try
            {
                // Also makes the stream visible to the peer at once (QUIC announces streams with their first bytes).
                await stream.WriteAsync(Preface(LinkPurpose.Sync), timeout.Token);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }

            return new QuicSyncSession(stream, peer, _options, Counters);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"opening a sync session with {peer} took longer than gossip.connect_timeout = {_options.ConnectTimeout}", ex);
        }
        catch (QuicException)
        {
            Evict(peer);
            throw;
        }
    }

    private async Task<IOutboundLink> ConnectLinkAsync(EndPoint peer, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            var connection = await GetConnectionAsync(peer, timeout.Token);
            return new QuicOutboundLink(connection, Preface(LinkPurpose.Broadcast), () => Evict(peer));
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"connecting to {peer} took longer than gossip.connect_timeout = {_options.ConnectTimeout}", ex);
        }
    }

    private byte[] Preface(LinkPurpose purpose)
    {
        var preface = new byte[LinkPreface.Size];
        LinkPreface.Write(preface, purpose, (ushort)((IPEndPoint)LocalEndPoint).Port);
        return preface;
    }

    private async Task<QuicConnection> GetConnectionAsync(EndPoint peer, CancellationToken ct)
    {
        var lazy = _connections.GetOrAdd(peer, p => new Lazy<Task<QuicConnection>>(() => DialAsync(p)));
        try
        {
            return await lazy.Value.WaitAsync(ct);
        }
        catch (Exception) when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            _connections.TryRemove(new KeyValuePair<EndPoint, Lazy<Task<QuicConnection>>>(peer, lazy));
            throw;
        }
    }

    private async Task<QuicConnection> DialAsync(EndPoint peer)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var options = new QuicClientConnectionOptions
        {
            RemoteEndPoint = peer,
            DefaultStreamErrorCode = StreamAborted,
            DefaultCloseErrorCode = NoError,
            IdleTimeout = _options.IdleTimeout,
            MaxInboundUnidirectionalStreams = 0,
            MaxInboundBidirectionalStreams = 0,
            ClientAuthenticationOptions = Volatile.Read(ref _tls)!.ClientOptions(peer is DnsEndPoint dns ? dns.Host : "corrosion", AlpnList, r =>
            {
                Counters.TlsRefused();
                TransportLog.TlsPeerRefused(_logger, peer, r);
            }),
        };
        return await QuicConnection.ConnectAsync(options, timeout.Token);
    }

    private void Evict(EndPoint peer)
    {
        if (_connections.TryRemove(peer, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
        {
            _ = lazy.Value.Result.DisposeAsync().AsTask();
        }
    }

    private async Task AcceptLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            QuicConnection connection;
            try
            {
                connection = await _listener!.AcceptConnectionAsync(stopping);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failed handshake (bad certificate, wrong ALPN) ends that connection only.
                TransportLog.InboundEnded(_logger, null, ex);
                continue;
            }

            _inbound.TryAdd(connection, 0);
            _ = Task.Run(() => ServeConnectionAsync(connection, stopping), CancellationToken.None);
        }
    }

    private async Task ServeConnectionAsync(QuicConnection connection, CancellationToken stopping)
    {
        var remote = connection.RemoteEndPoint;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var stream = await connection.AcceptInboundStreamAsync(stopping);
                _ = Task.Run(() => ServeStreamAsync(stream, remote, stopping), CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            TransportLog.InboundEnded(_logger, remote, ex);
        }
        finally
        {
            _inbound.TryRemove(connection, out _);
            await connection.DisposeAsync();
        }
    }

    private async Task ServeStreamAsync(QuicStream stream, IPEndPoint connectionRemote, CancellationToken stopping)
    {
        EndPoint remote = connectionRemote;
        var handedOff = false;
        try
        {
            var preface = new byte[LinkPreface.Size];
            using (var greeting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                greeting.CancelAfter(_options.ConnectTimeout);
                await stream.ReadExactlyAsync(preface, greeting.Token);
            }

            if (!LinkPreface.TryRead(preface, out var purpose, out var port)
                || (purpose == LinkPurpose.Sync) != (stream.Type == QuicStreamType.Bidirectional))
            {
                Counters.MalformedStream();
                throw new InvalidDataException("bad stream greeting (not a gossip peer, or another release)");
            }

            if (port != 0)
            {
                remote = new IPEndPoint(connectionRemote.Address, port);
            }

            if (purpose == LinkPurpose.Sync)
            {
                var session = new QuicSyncSession(stream, remote, _options, Counters);
                if (_sessions.Writer.TryWrite(session))
                {
                    handedOff = true;
                    return;
                }

                Counters.SessionRefused();
                await session.DisposeAsync();
                handedOff = true;
                return;
            }

            await using var reader = new FrameStreamReader(stream, _options, Counters, _options.IdleTimeout);
            while (await reader.ReadAsync(stopping) is { } frame)
            {
                await _frames.Writer.WriteAsync(new ReceivedFrame(remote, frame), stopping);
            }
        }
        catch (InvalidDataException ex)
        {
            stream.Abort(QuicAbortDirection.Read, StreamAborted);
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
                await stream.DisposeAsync();
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

        var old = Interlocked.Exchange(ref _tls, TransportTls.Reload(_options, _logger));
        if (old is not null)
        {
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
        foreach (var outbox in _outboxes.Values)
        {
            await outbox.DisposeAsync();
        }

        foreach (var peer in _connections.Keys)
        {
            Evict(peer);
        }

        foreach (var connection in _inbound.Keys)
        {
            await connection.DisposeAsync();
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync();
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
