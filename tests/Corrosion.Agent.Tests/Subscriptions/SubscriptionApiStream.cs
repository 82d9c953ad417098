using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// A long-lived NDJSON response (<c>/v1/subscriptions</c>, <c>/v1/updates</c>) read line by line, each
/// read bounded by a deadline so a missing event fails the test instead of hanging it.
/// </summary>
internal sealed class SubscriptionApiStream : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader? _reader;

    private SubscriptionApiStream(HttpResponseMessage response, StreamReader? reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpStatusCode Status => _response.StatusCode;

    public HttpResponseHeaders Headers => _response.Headers;

    public string QueryId => Headers.GetValues("corro-query-id").Single();

    public string QueryHash => Headers.GetValues("corro-query-hash").Single();

    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

    public static Task<SubscriptionApiStream> PostAsync(HttpClient http, string path, string json) =>
        OpenAsync(http, new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        });

    public static Task<SubscriptionApiStream> GetAsync(HttpClient http, string path) =>
        OpenAsync(http, new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative)));

    private static async Task<SubscriptionApiStream> OpenAsync(HttpClient http, HttpRequestMessage request)
    {
        using (request)
        using (var cancel = new CancellationTokenSource(Deadline))
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var body = await response.Content.ReadAsStreamAsync(cancel.Token);
            return new SubscriptionApiStream(response, new StreamReader(body, Encoding.UTF8));
        }
    }

    /// <summary>The next line as JSON; throws on a deadline or when the stream ends first.</summary>
    public async Task<JsonElement> NextAsync() =>
        await TryNextAsync() ?? throw new InvalidOperationException("the stream ended");

    /// <summary>The next line as JSON, or null when the server ended the stream.</summary>
    public async Task<JsonElement?> TryNextAsync()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        while (true)
        {
            string? line;
            try
            {
                line = await _reader!.ReadLineAsync(cancel.Token);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                throw new TimeoutException($"no line within {Deadline}");
            }

            if (line is null)
            {
                return null;
            }

            if (line.Length > 0)
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }
        }
    }

    /// <summary>The next line, which must be a change: (kind, rowid, cells as JSON text, change id).</summary>
    public async Task<(string Kind, long RowId, string Cells, long ChangeId)> NextChangeAsync()
    {
        var line = await NextAsync();
        Assert.True(line.TryGetProperty("change", out var change), $"expected a change, got {line}");
        return (change[0].GetString()!, change[1].GetInt64(), change[2].GetRawText(), change[3].GetInt64());
    }

    /// <summary>The next <paramref name="count"/> lines.</summary>
    public async Task<List<JsonElement>> NextAsync(int count)
    {
        var lines = new List<JsonElement>();
        for (var i = 0; i < count; i++)
        {
            lines.Add(await NextAsync());
        }

        return lines;
    }

    /// <summary>Lines up to and including the first one <paramref name="last"/> accepts.</summary>
    public async Task<List<JsonElement>> UntilAsync(Func<JsonElement, bool> last)
    {
        var lines = new List<JsonElement>();
        while (true)
        {
            var line = await NextAsync();
            lines.Add(line);
            if (last(line))
            {
                return lines;
            }
        }
    }

    /// <summary>The whole body of a short (error) answer.</summary>
    public async Task<JsonElement> BodyAsync()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var text = await _reader!.ReadToEndAsync(cancel.Token);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public ValueTask DisposeAsync()
    {
        // Dropping the response is how a client disconnects; the server sees RequestAborted.
        _reader?.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
