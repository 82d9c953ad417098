using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Corrosion.Agent.Replication.Wire;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Cuts a byte stream into whole frames: checks the length prefix against the maximum frame size
/// before buffering anything, drops (and counts) frames of another cluster, and turns a bad stream
/// into <see cref="InvalidDataException"/> for its owner to close — the node carries on.
/// </summary>
internal sealed class FrameStreamReader : IAsyncDisposable
{
    private readonly PipeReader _reader;
    private readonly TransportOptions _options;
    private readonly TransportCounters _counters;
    private readonly TimeSpan _idleTimeout;

    public FrameStreamReader(Stream stream, TransportOptions options, TransportCounters counters, TimeSpan idleTimeout)
    {
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _options = options;
        _counters = counters;
        _idleTimeout = idleTimeout;
    }

    /// <summary>The next frame of this cluster, or null at the clean end of the stream.</summary>
    /// <exception cref="InvalidDataException">The stream carries something that is not a frame, or a frame that is too large.</exception>
    /// <exception cref="TimeoutException">Nothing arrived within the idle timeout.</exception>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken ct)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(_idleTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no frame within the idle timeout of {_idleTimeout}");
            }

            var buffer = result.Buffer;
            if (buffer.Length >= FrameHeader.LengthPrefixSize)
            {
                var length = ReadLength(buffer);
                if (length < FrameHeader.MinLength)
                {
                    _counters.MalformedStream();
                    _reader.AdvanceTo(buffer.Start);
                    throw new InvalidDataException($"frame length {length} is below the minimum {FrameHeader.MinLength}");
                }

                var size = FrameHeader.LengthPrefixSize + (long)length;
                if (size > _options.MaxFrameSize)
                {
                    _counters.OversizedFrame();
                    _reader.AdvanceTo(buffer.Start);
                    throw new InvalidDataException($"frame of {size} bytes exceeds gossip.max_frame_size = {_options.MaxFrameSize}");
                }

                if (buffer.Length >= size)
                {
                    var frame = buffer.Slice(0, size).ToArray();
                    _reader.AdvanceTo(buffer.GetPosition(size));
                    var cluster = BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(6));
                    if (cluster != _options.ClusterId)
                    {
                        _counters.ForeignClusterFrame();
                        continue;
                    }

                    _counters.FrameReceived(frame.Length);
                    return frame;
                }
            }

            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                if (buffer.Length > 0)
                {
                    _counters.MalformedStream();
                    throw new InvalidDataException($"stream ended inside a frame ({buffer.Length} bytes left)");
                }

                return null;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static uint ReadLength(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[FrameHeader.LengthPrefixSize];
        buffer.Slice(0, FrameHeader.LengthPrefixSize).CopyTo(prefix);
        return BinaryPrimitives.ReadUInt32LittleEndian(prefix);
    }

    public ValueTask DisposeAsync() => _reader.CompleteAsync();
}
