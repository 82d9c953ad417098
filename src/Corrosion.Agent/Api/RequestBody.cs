using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>Reads a JSON request body within the configured size limit.</summary>
internal static class RequestBody
{
    /// <summary>Reads and parses the body; throws <see cref="ApiInputException"/> or <see cref="BodyTooLargeException"/>.</summary>
    /// <returns>The document, over a pooled buffer that disposing it returns.</returns>
    public static async Task<RequestJson> ReadJsonAsync(HttpContext http, long maxBytes)
    {
        var body = await ReadAsync(http, maxBytes);
        try
        {
            return Parse(body);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the body into a pooled buffer, checked to be non-empty UTF-8 within the size limit; throws
    /// <see cref="ApiInputException"/> or <see cref="BodyTooLargeException"/>.
    /// </summary>
    /// <returns>The body's bytes; disposing it returns the buffer (unless <see cref="Parse"/> took it over).</returns>
    public static async Task<RequestBytes> ReadAsync(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength is { } declared && declared > maxBytes)
        {
            throw new BodyTooLargeException(maxBytes);
        }

        // A pooled buffer, sized to the declared length when there is one (plus room for the read
        // that sees the end): most bodies are read in one call without growing or zeroing memory.
        var initial = http.Request.ContentLength is { } length ? (int)Math.Min(length + 1, maxBytes + 1) : 4096;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 256));
        var written = 0;
        try
        {
            var body = http.Request.Body;
            while (true)
            {
                if (written == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, written).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read;
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(written), http.RequestAborted);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    // Kestrel's own limit (a body without a declared length): the same answer as ours.
                    throw new BodyTooLargeException(maxBytes);
                }

                if (read == 0)
                {
                    break;
                }

                written += read;
                if (written > maxBytes)
                {
                    throw new BodyTooLargeException(maxBytes);
                }

                if (written == http.Request.ContentLength)
                {
                    // Kestrel never gives more than the declared length: the body is whole, no read of its end needed.
                    break;
                }
            }

            var text = buffer.AsSpan(0, written);
            if (written == 0)
            {
                throw new ApiInputException("the request body is empty; expected JSON");
            }

            // JSON text is UTF-8 (RFC 8259 §8.1). The parser checks structure but leaves string
            // contents to be transcoded later, where invalid bytes would surface as a 500.
            if (!Utf8.IsValid(text))
            {
                throw new ApiInputException($"the request body is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(text)}); JSON must be UTF-8");
            }

            var bytes = new RequestBytes(buffer, written);
            buffer = null;
            return bytes;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Parses a body read by <see cref="ReadAsync"/> as a JSON document; throws <see cref="ApiInputException"/>.</summary>
    /// <returns>The document, which owns the body's buffer from now on (disposing either returns it once).</returns>
    public static RequestJson Parse(RequestBytes body)
    {
        ArgumentNullException.ThrowIfNull(body);
        JsonDocument document;
        try
        {
            // The document reads the buffer in place: it is returned when the document is disposed.
            document = JsonDocument.Parse(body.Memory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new ApiInputException($"malformed JSON: {e.Message}");
        }

        var json = new RequestJson(document, body);
        try
        {
            EnsureStringsDecode(document.RootElement);
            return json;
        }
        catch
        {
            json.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decodes every string and property name once: an escaped lone surrogate (<c>"\ud800"</c>) is
    /// well-formed JSON but no Unicode text, and would otherwise throw wherever it is first read.
    /// </summary>
    private static void EnsureStringsDecode(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        EnsureStringsDecode(item);
                    }

                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        EnsureStringsDecode(property.Value);
                    }

                    break;
            }
        }
        catch (InvalidOperationException e)
        {
            throw new ApiInputException($"a JSON string is not valid Unicode text: {e.Message}", e);
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        var offset = 0;
        while (offset < text.Length)
        {
            if (Rune.DecodeFromUtf8(text[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }
}

/// <summary>A request body's bytes in a pooled buffer; disposing it returns the buffer (once).</summary>
internal sealed class RequestBytes : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    public RequestBytes(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The body (valid until disposed).</summary>
    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(RequestBytes))).AsMemory(0, _length);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A parsed request body over a pooled buffer; disposing it frees both.</summary>
internal sealed class RequestJson : IDisposable
{
    private readonly JsonDocument _document;
    private readonly RequestBytes _body;

    public RequestJson(JsonDocument document, RequestBytes body)
    {
        _document = document;
        _body = body;
    }

    /// <summary>The body's root value (valid until disposed).</summary>
    public JsonElement RootElement => _document.RootElement;

    /// <inheritdoc />
    public void Dispose()
    {
        _document.Dispose();
        _body.Dispose();
    }
}
