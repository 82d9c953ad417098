using System.Net;
using System.Text;
using System.Text.Json;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>An open NDJSON response read line by line, each read bounded by a deadline.</summary>
internal sealed class NdJsonStream : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader? _reader;

    private NdJsonStream(HttpResponseMessage response, StreamReader? reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpStatusCode Status => _response.StatusCode;

    public string? Header(string name) => _response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    public static Task<NdJsonStream> PostAsync(HttpClient http, string path, string json) =>
        OpenAsync(http, new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    public static Task<NdJsonStream> GetAsync(HttpClient http, string path) =>
        OpenAsync(http, new HttpRequestMessage(HttpMethod.Get, path));

    private static async Task<NdJsonStream> OpenAsync(HttpClient http, HttpRequestMessage request)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        request.Dispose();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
        return new NdJsonStream(response, reader);
    }

    /// <summary>The next line as JSON; fails when none arrives before the deadline or the stream ends.</summary>
    public async Task<JsonElement> NextAsync()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        string? line;
        try
        {
            line = await _reader!.ReadLineAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no line within {Deadline.TotalSeconds} s");
        }

        if (line is null)
        {
            throw new EndOfStreamException("the stream ended");
        }

        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    /// <summary>The next line, which must be a change: (kind, rowid, cells as JSON text, change id).</summary>
    public async Task<(string Kind, long RowId, string Cells, long ChangeId)> NextChangeAsync()
    {
        var line = await NextAsync();
        Assert.True(line.TryGetProperty("change", out var change), $"expected a change, got {line}");
        return (change[0].GetString()!, change[1].GetInt64(), change[2].GetRawText(), change[3].GetInt64());
    }

    /// <summary>Reads the whole body as one JSON document (for error answers).</summary>
    public async Task<JsonElement> BodyAsync()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var text = await _reader!.ReadToEndAsync(deadline.Token);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public ValueTask DisposeAsync()
    {
        _reader?.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
