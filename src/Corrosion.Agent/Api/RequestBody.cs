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
    public static async Task<JsonDocument> ReadJsonAsync(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength is { } declared && declared > maxBytes)
        {
            throw new BodyTooLargeException(maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        var body = http.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(8192);
            var read = await body.ReadAsync(memory, http.RequestAborted);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw new BodyTooLargeException(maxBytes);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            throw new ApiInputException("the request body is empty; expected JSON");
        }

        // JSON text is UTF-8 (RFC 8259 §8.1). The parser checks structure but leaves string
        // contents to be transcoded later, where invalid bytes would surface as a 500.
        if (!Utf8.IsValid(buffer.WrittenSpan))
        {
            throw new ApiInputException($"the request body is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(buffer.WrittenSpan)}); JSON must be UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new ApiInputException($"malformed JSON: {e.Message}");
        }

        try
        {
            EnsureStringsDecode(document.RootElement);
            return document;
        }
        catch
        {
            document.Dispose();
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
