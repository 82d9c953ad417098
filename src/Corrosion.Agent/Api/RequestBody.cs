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
            }

            var text = buffer.AsMemory(0, written);
            if (written == 0)
            {
                throw new ApiInputException("the request body is empty; expected JSON");
            }

            // JSON text is UTF-8 (RFC 8259 §8.1). The parser checks structure but leaves string
            // contents to be transcoded later, where invalid bytes would surface as a 500.
            if (!Utf8.IsValid(text.Span))
            {
                throw new ApiInputException($"the request body is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(text.Span)}); JSON must be UTF-8");
            }

            JsonDocument document;
            try
            {
                // The document reads the buffer in place: it is returned when the document is disposed.
                document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            }
            catch (JsonException e)
            {
                throw new ApiInputException($"malformed JSON: {e.Message}");
            }

            var json = new RequestJson(document, buffer);
            buffer = null;
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
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
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

/// <summary>A parsed request body over a pooled buffer; disposing it frees both.</summary>
internal sealed class RequestJson : IDisposable
{
    private readonly JsonDocument _document;
    private byte[]? _buffer;

    public RequestJson(JsonDocument document, byte[] buffer)
    {
        _document = document;
        _buffer = buffer;
    }

    /// <summary>The body's root value (valid until disposed).</summary>
    public JsonElement RootElement => _document.RootElement;

    /// <inheritdoc />
    public void Dispose()
    {
        _document.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
