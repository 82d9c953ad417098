using System.Buffers;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Transport;

/// <summary>
/// The bounded send queue of one peer and the loop that drains it over a link: connects lazily,
/// reconnects with exponential backoff, and coalesces adaptively — a frame queued while the link
/// is idle goes out at once; frames queued while a write is in flight go out together in the next
/// write (up to <see cref="TransportOptions.CoalesceBytes"/>). No timer is involved.
/// </summary>
internal sealed class PeerOutbox : IAsyncDisposable
{
    private readonly EndPoint _peer;
    private readonly TransportOptions _options;
    private readonly TransportCounters _counters;
    private readonly Func<EndPoint, CancellationToken, Task<IOutboundLink>> _connect;
    private readonly TimeProvider _time;
    private readonly Func<double> _jitter;
    private readonly ILogger _logger;
    private readonly Channel<OutboundFrame> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _run;
    private int _started;

    public PeerOutbox(
        EndPoint peer,
        TransportOptions options,
        TransportCounters counters,
        Func<EndPoint, CancellationToken, Task<IOutboundLink>> connect,
        TimeProvider time,
        Func<double> jitter,
        ILogger logger)
    {
        _peer = peer;
        _options = options;
        _counters = counters;
        _connect = connect;
        _time = time;
        _jitter = jitter;
        _logger = logger;
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(options.SendQueuePerPeer)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking: the drop is counted.
        });
    }

    private readonly record struct OutboundFrame(byte[] Buffer, int Length)
    {
        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

        public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
    }

    public int Queued => _queue.Reader.Count;

    /// <summary>Starts the loop and has it connect at once, without waiting for a frame.</summary>
    public void Open() => Start(connectNow: true);

    private void Start(bool connectNow)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _run = Task.Run(() => RunAsync(connectNow));
        }
    }

    public bool TryEnqueue(ReadOnlyMemory<byte> frame)
    {
        Start(connectNow: false);

        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.Span.CopyTo(buffer);
        if (_queue.Writer.TryWrite(new OutboundFrame(buffer, frame.Length)))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(buffer);
        _counters.SendQueueDrop();
        return false;
    }

    private async Task RunAsync(bool connectNow)
    {
        var stopping = _stopping.Token;
        var backoff = _options.ReconnectBackoffMin;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // Opened ahead of traffic: connect once without a frame; afterwards (a failure, an idle close) only when frames wait.
                if (!connectNow && !await _queue.Reader.WaitToReadAsync(stopping))
                {
                    return;
                }

                connectNow = false;

                IOutboundLink link;
                try
                {
                    link = await _connect(_peer, stopping);
                }
                catch (Exception) when (!stopping.IsCancellationRequested)
                {
                    _counters.ConnectFailure();
                    throw;
                }

                await using (link)
                {
                    _counters.Connected();
                    backoff = _options.ReconnectBackoffMin;
                    await PumpAsync(link, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ChannelClosedException)
            {
                return;
            }
            catch (Exception ex)
            {
                var delay = backoff * (0.5 + _jitter());
                TransportLog.LinkFailed(_logger, _peer, delay, ex);
                try
                {
                    await Task.Delay(delay, _time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.ReconnectBackoffMax.Ticks));
            }
        }
    }

    /// <summary>Drains the queue over <paramref name="link"/> until it idles out (normal return) or fails (throws).</summary>
    private async Task PumpAsync(IOutboundLink link, CancellationToken stopping)
    {
        var batch = ArrayPool<byte>.Shared.Rent(_options.CoalesceBytes);
        OutboundFrame? carry = null;
        try
        {
            while (true)
            {
                if (carry is null && !_queue.Reader.TryPeek(out _))
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    idle.CancelAfter(_options.IdleTimeout);
                    var ready = _queue.Reader.WaitToReadAsync(idle.Token).AsTask();
                    if (await Task.WhenAny(ready, link.Closed) == link.Closed)
                    {
                        idle.Cancel();
                        throw new IOException($"peer {_peer} closed the link");
                    }

                    try
                    {
                        if (!await ready)
                        {
                            return;
                        }
                    }
                    catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                    {
                        return; // idle: close the link, reconnect when there is something to send
                    }
                }

                var first = carry ?? (_queue.Reader.TryRead(out var f) ? f : (OutboundFrame?)null);
                carry = null;
                if (first is not { } head)
                {
                    continue;
                }

                if (head.Length > _options.CoalesceBytes)
                {
                    try
                    {
                        await WriteAsync(link, head.Memory, 1, stopping);
                    }
                    finally
                    {
                        head.Return();
                    }

                    continue;
                }

                var length = 0;
                var frames = 0;
                var next = head;
                while (true)
                {
                    next.Memory.Span.CopyTo(batch.AsSpan(length));
                    length += next.Length;
                    frames++;
                    next.Return();
                    if (!_queue.Reader.TryRead(out next))
                    {
                        break;
                    }

                    if (length + next.Length > _options.CoalesceBytes)
                    {
                        carry = next;
                        break;
                    }
                }

                await WriteAsync(link, batch.AsMemory(0, length), frames, stopping);
            }
        }
        finally
        {
            carry?.Return();
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    private async Task WriteAsync(IOutboundLink link, ReadOnlyMemory<byte> bytes, int frames, CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            await link.WriteAsync(bytes, timeout.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            _counters.SendTimeout();
            throw new TimeoutException($"write of {bytes.Length} bytes to {_peer} took longer than {_options.SendTimeout}");
        }

        Replication.ReplicationTrace.Frames("wire.sent", bytes.Span, _peer);
        _counters.FrameBatchSent(frames, bytes.Length);
        _counters.LinkWrite();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // The loop is stuck in a write that ignores cancellation; the socket's disposal ends it.
            }
        }

        while (_queue.Reader.TryRead(out var frame))
        {
            frame.Return();
        }

        _stopping.Dispose();
    }
}
