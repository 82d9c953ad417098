using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Corrosion.Agent.Transport;

/// <summary>A sync session over its own TCP connection.</summary>
internal sealed class TcpSyncSession : ISyncSession
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly TransportOptions _options;
    private readonly TransportCounters _counters;
    private readonly FrameStreamReader _reader;
    private int _completed;
    private int _disposed;

    public TcpSyncSession(Socket socket, Stream stream, EndPoint remote, TransportOptions options, TransportCounters counters)
    {
        _socket = socket;
        _stream = stream;
        Remote = remote;
        _options = options;
        _counters = counters;
        _reader = new FrameStreamReader(stream, options, counters, options.IdleTimeout);
    }

    public EndPoint Remote { get; }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        FrameCheck.EnsureWholeFrame(frame.Span, nameof(frame));
        if (frame.Length > _options.MaxFrameSize)
        {
            _counters.OversizedFrame();
            throw new ArgumentException($"frame of {frame.Length} bytes exceeds gossip.max_frame_size = {_options.MaxFrameSize}", nameof(frame));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            await _stream.WriteAsync(frame, timeout.Token);
            await _stream.FlushAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            _counters.SendTimeout();
            throw new TimeoutException($"sync write to {Remote} took longer than {_options.SendTimeout}");
        }

        _counters.FrameBatchSent(1, frame.Length);
    }

    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken ct) =>
        await _reader.ReadAsync(ct) is { } frame ? new ReadOnlyMemory<byte>(frame) : (ReadOnlyMemory<byte>?)null;

    public async ValueTask CompleteAsync()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        if (_stream is SslStream ssl)
        {
            await ssl.ShutdownAsync();
        }

        await _stream.FlushAsync();
        _socket.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _reader.DisposeAsync();
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
