using System.Net;
using System.Net.Quic;
using System.Runtime.Versioning;

namespace Corrosion.Agent.Transport;

/// <summary>A sync session over one bidirectional QUIC stream.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicSyncSession : ISyncSession
{
    private readonly QuicStream _stream;
    private readonly TransportOptions _options;
    private readonly TransportCounters _counters;
    private readonly FrameStreamReader _reader;
    private int _disposed;

    public QuicSyncSession(QuicStream stream, EndPoint remote, TransportOptions options, TransportCounters counters)
    {
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

    public ValueTask CompleteAsync()
    {
        _stream.CompleteWrites();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _reader.DisposeAsync();
        await _stream.DisposeAsync();
    }
}
