using System.Buffers;
using System.Text.Json;
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

        try
        {
            return JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new ApiInputException($"malformed JSON: {e.Message}");
        }
    }
}
