using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Corrosion.Client;

/// <summary>
/// A client for a Corrosion node's HTTP API: transactions, and queries streamed row by row.
/// Thread-safe; reuse one instance.
/// </summary>
public sealed class CorrosionClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>Creates a client for a node's API address, for example <c>http://127.0.0.1:8080</c>.</summary>
    /// <param name="baseAddress">The node's API address.</param>
    /// <param name="bearerToken">A token from the node's <c>api.authz.bearer_tokens</c>, or null.</param>
    public CorrosionClient(Uri baseAddress, string? bearerToken = null)
        : this(new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan }, bearerToken, ownsHttp: true)
    {
    }

    /// <summary>Creates a client over an <see cref="HttpClient"/> whose base address is the node (for tests and DI).</summary>
    public CorrosionClient(HttpClient http, string? bearerToken = null)
        : this(http, bearerToken, ownsHttp: false)
    {
    }

    private CorrosionClient(HttpClient http, string? bearerToken, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _ownsHttp = ownsHttp;
        BearerToken = bearerToken;
    }

    /// <summary>The bearer token sent with every request, or null.</summary>
    public string? BearerToken { get; }

    /// <summary>Runs statements in one transaction on the node. Not retried: a write is not idempotent.</summary>
    /// <exception cref="CorrosionException">the node refused the transaction (nothing was applied) or was unreachable.</exception>
    public async Task<ExecuteResult> ExecuteAsync(IEnumerable<ClientStatement> statements, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var path = timeout is { } t
            ? FormattableString.Invariant($"v1/transactions?timeout={t.TotalSeconds}")
            : "v1/transactions";
        using var request = NewRequest(HttpMethod.Post, path, WriteStatements(statements));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        var root = document.RootElement;
        var rows = new List<long>();
        foreach (var result in root.GetProperty("results").EnumerateArray())
        {
            rows.Add(result.TryGetProperty("rows_affected", out var n) ? n.GetInt64() : 0);
        }

        long? version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
        var time = root.TryGetProperty("time", out var tm) ? tm.GetDouble() : 0;
        var actor = root.TryGetProperty("actor_id", out var a) ? a.GetString() : null;
        return new ExecuteResult(rows, version, time, actor);
    }

    /// <summary>Runs one statement in a transaction.</summary>
    public Task<ExecuteResult> ExecuteAsync(ClientStatement statement, CancellationToken cancellationToken = default) =>
        ExecuteAsync([statement], null, cancellationToken);

    /// <summary>Runs a read-only query; rows stream as the node sends them.</summary>
    /// <exception cref="CorrosionException">the node refused the query, or reported an error mid-stream.</exception>
    public async Task<QueryResult> QueryAsync(ClientStatement statement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        using var request = NewRequest(HttpMethod.Post, "v1/queries", WriteStatement(statement));
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        try
        {
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            var first = await reader.ReadLineAsync(cancellationToken) ?? throw new CorrosionException(0, "the node closed the stream before sending columns");
            using var header = JsonDocument.Parse(first);
            ThrowIfError(header.RootElement);
            var columns = header.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString() ?? string.Empty).ToList();
            return new QueryResult(columns, ReadRows(response, reader, cancellationToken));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a JSON document from a GET endpoint of the node (for example <c>v1/members</c> or
    /// <c>v1/sync/state</c>). Safe to retry: it changes nothing.
    /// </summary>
    /// <exception cref="CorrosionException">the node answered with an error, or was unreachable.</exception>
    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var request = NewRequest(HttpMethod.Get, path, null);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        return document.RootElement.Clone();
    }

    private static async IAsyncEnumerable<QueryRow> ReadRows(HttpResponseMessage response, StreamReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (response)
        using (reader)
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                ThrowIfError(root);
                if (root.TryGetProperty("eoq", out _))
                {
                    yield break;
                }

                if (root.TryGetProperty("row", out var row))
                {
                    var cells = row[1].EnumerateArray().Select(c => c.Clone()).ToList();
                    yield return new QueryRow(row[0].GetInt64(), cells);
                }
            }

            throw new CorrosionException(0, "the query stream ended before its end marker (eoq)");
        }
    }

    private static void ThrowIfError(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
        {
            throw new CorrosionException(200, error.GetString() ?? "error");
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string path, byte[]? json)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (BearerToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BearerToken);
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CorrosionException($"cannot reach the node at {_http.BaseAddress}: {e.Message}", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var message = text;
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.TryGetProperty("error", out var error))
                {
                    message = error.GetString() ?? text;
                }
            }
            catch (JsonException)
            {
                // Not JSON: keep the raw text.
            }

            throw new CorrosionException((int)response.StatusCode, string.IsNullOrEmpty(message) ? response.ReasonPhrase ?? "error" : message);
        }
    }

    private static byte[] WriteStatements(IEnumerable<ClientStatement> statements)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var statement in statements)
            {
                WriteStatement(writer, statement);
            }

            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    private static byte[] WriteStatement(ClientStatement statement)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteStatement(writer, statement);
        }

        return buffer.ToArray();
    }

    private static void WriteStatement(Utf8JsonWriter writer, ClientStatement statement)
    {
        writer.WriteStartObject();
        writer.WriteString("query", statement.Sql);
        if (statement.Params is { } positional)
        {
            writer.WriteStartArray("params");
            foreach (var value in positional)
            {
                WriteValue(writer, value);
            }

            writer.WriteEndArray();
        }

        if (statement.NamedParams is { } named)
        {
            writer.WriteStartObject("named_params");
            foreach (var (name, value) in named)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case byte[] blob:
                writer.WriteStartArray();
                foreach (var x in blob)
                {
                    writer.WriteNumberValue(x);
                }

                writer.WriteEndArray();
                break;
            case long or int or short or byte or sbyte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                writer.WriteNumberValue(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            default:
                throw new ArgumentException($"unsupported parameter type {value.GetType().Name}", nameof(value));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
