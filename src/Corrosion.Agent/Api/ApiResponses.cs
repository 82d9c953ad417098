using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>Writes the API's JSON bodies.</summary>
internal static class ApiResponses
{
    public const string Json = "application/json";
    public const string NdJson = "application/x-ndjson";

    /// <summary>Writes <c>{"error": message}</c> with the status code.</summary>
    public static async Task WriteErrorAsync(HttpContext http, int status, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = Json;
        await WriteAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", message);
            w.WriteEndObject();
        });
    }

    /// <summary>Writes a JSON document produced by <paramref name="write"/>.</summary>
    public static async Task WriteAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        await using (var writer = new Utf8JsonWriter(http.Response.BodyWriter))
        {
            write(writer);
        }

        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }

    /// <summary>Writes one NDJSON line and flushes it, so clients see rows as they come.</summary>
    public static async ValueTask WriteLineAsync(HttpContext http, Action<Utf8JsonWriter> write, bool flush)
    {
        using (var writer = new Utf8JsonWriter(http.Response.BodyWriter))
        {
            write(writer);
        }

        http.Response.BodyWriter.Write("\n"u8);
        if (flush)
        {
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
        }
    }
}
