using System.Text;

namespace Corrosion.Client;

/// <summary>An open streamed response, read line by line; disposing closes the connection.</summary>
internal sealed class NdjsonStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private NdjsonStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<NdjsonStream> OpenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new NdjsonStream(response, new StreamReader(body, Encoding.UTF8));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The next non-empty line, or null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 0)
            {
                return line;
            }
        }

        return null;
    }

    /// <summary>Reads the next line, turning a broken connection or a cut-off line into a transient <see cref="CorrosionException"/>.</summary>
    public async Task<WireLine?> ReadAsync(CancellationToken cancellationToken)
    {
        string? text;
        try
        {
            text = await ReadLineAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // Some transports report a read cancelled by the caller as a broken connection.
            cancellationToken.ThrowIfCancellationRequested();
            throw new CorrosionException(0, $"the connection to the node broke: {e.Message}", e);
        }

        if (text is null)
        {
            return null;
        }

        try
        {
            return WireLine.Parse(text);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            throw new CorrosionException(0, $"the node sent a malformed line: {Truncate(text)}", e);
        }
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}
