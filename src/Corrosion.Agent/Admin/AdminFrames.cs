using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Corrosion.Agent.Admin;

/// <summary>
/// The admin socket's framing, as Corrosion's admin protocol frames it: each frame is a 4-byte
/// big-endian length followed by that many bytes of UTF-8 JSON. A request is one frame
/// <c>{"command": "...", "args": {...}}</c>; its answer is zero or more frames
/// <c>{"progress": {"done", "total"}}</c>, <c>{"log": "..."}</c> or <c>{"json": ...}</c>, ended by
/// <c>{"ok": true}</c> or <c>{"error": "..."}</c>.
/// </summary>
public static class AdminFrames
{
    /// <summary>Writes one frame.</summary>
    public static async Task WriteAsync(Stream stream, JsonNode frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(frame);
        // Written by the node itself, not through JsonSerializer: no reflection-based serializer is needed (the native build has none).
        var body = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(body))
        {
            frame.WriteTo(writer);
        }

        var buffer = new byte[4 + body.WrittenCount];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)body.WrittenCount);
        body.WrittenSpan.CopyTo(buffer.AsSpan(4));
        await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one frame; null when the peer closed the stream between frames.</summary>
    /// <exception cref="InvalidDataException">the frame is larger than <paramref name="maxSize"/>, cut short, or not a JSON object.</exception>
    public static async Task<JsonObject?> ReadAsync(Stream stream, long maxSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new byte[4];
        var got = await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < header.Length)
        {
            throw new InvalidDataException("admin frame cut short in its length");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > maxSize)
        {
            throw new InvalidDataException($"admin frame of {length} bytes is larger than the {maxSize} allowed (admin.max_frame_size)");
        }

        var body = new byte[length];
        if (await ReadFullyAsync(stream, body, cancellationToken).ConfigureAwait(false) < body.Length)
        {
            throw new InvalidDataException("admin frame cut short in its body");
        }

        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new InvalidDataException("admin frame is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"admin frame is not JSON: {e.Message}", e);
        }
    }

    private static async Task<int> ReadFullyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }
}
