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

    // A document is written into this thread's buffer first, so the response carries a
    // Content-Length: without one, HTTP/1.1 sends it chunked, and the last chunk's terminator went
    // out as a second write (a second send and wake-up per request, on both sides).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // A buffer that grew beyond this (a large sync state) is not kept for the thread.
    private const int KeptBufferBytes = 64 * 1024;

    /// <summary>Writes a JSON document produced by <paramref name="write"/>, with its Content-Length.</summary>
    public static async Task WriteAsync(HttpContext http, Action<Utf8JsonWriter> write)
    {
        Buffer(http, write);
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }

    /// <summary>Writes a JSON document produced by <paramref name="write"/> from <paramref name="state"/> (no closure), with its Content-Length.</summary>
    public static async Task WriteAsync<TState>(HttpContext http, TState state, Action<Utf8JsonWriter, TState> write)
    {
        Buffer(http, state, write);
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }

    /// <summary>Writes the document to the thread's buffer, sets the Content-Length and copies it into the response.</summary>
    private static void Buffer(HttpContext http, Action<Utf8JsonWriter> write) =>
        Buffer(http, write, static (writer, write) => write(writer));

    private static void Buffer<TState>(HttpContext http, TState state, Action<Utf8JsonWriter, TState> write)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(write);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer;
        if (writer is null)
        {
            writer = t_writer = new Utf8JsonWriter(buffer);
        }
        else
        {
            writer.Reset(buffer);
        }

        try
        {
            write(writer, state);
            writer.Flush();
            http.Response.ContentLength = buffer.WrittenCount;
            // Copied into the response's pipe before anything awaits: the thread's buffer is free again.
            http.Response.BodyWriter.Write(buffer.WrittenSpan);
        }
        finally
        {
            writer.Reset(Stream.Null);
            if (buffer.Capacity > KeptBufferBytes)
            {
                t_buffer = null;
            }
            else
            {
                buffer.ResetWrittenCount();
            }
        }
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
