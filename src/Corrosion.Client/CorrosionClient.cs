using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Corrosion.Client;

/// <summary>
/// A client for a Corrosion node's HTTP API: transactions, queries streamed row by row (or mapped to
/// records), live subscriptions that resume after a dropped connection, and primary-key update
/// streams. Thread-safe; reuse one instance.
/// </summary>
/// <remarks>
/// Reads are retried with <see cref="ReadRetry"/> when the node is unreachable or answers 502/503/504
/// before any data arrived: opening a query, a subscription or an update stream, and re-attaching a
/// subscription or update stream. Transactions are never retried: when a connection breaks after the
/// request was sent, the client cannot tell whether the node committed it, and running the writes a
/// second time could apply them twice.
/// </remarks>
public sealed partial class CorrosionClient : IDisposable
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

    /// <summary>How reads are retried (see the class remarks); <see cref="RetryPolicy.Default"/> unless set.</summary>
    public RetryPolicy ReadRetry { get; init; } = RetryPolicy.Default;

    /// <summary>The source of retry jitter.</summary>
    private Random Jitter { get; } = Random.Shared;

    /// <summary>
    /// Runs statements in one transaction on the node. Never retried: if the connection breaks after
    /// the request was sent the node may have committed it, and a second run could apply it twice.
    /// </summary>
    /// <param name="statements">The statements, run in order in one transaction.</param>
    /// <param name="timeout">How long the node may wait for its writer, or null for its default.</param>
    /// <param name="cancellationToken">Cancels the request (the node may still commit it).</param>
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

    /// <summary>Runs one statement in a transaction (never retried, see <see cref="ExecuteAsync(IEnumerable{ClientStatement}, TimeSpan?, CancellationToken)"/>).</summary>
    /// <param name="statement">The statement.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ExecuteResult> ExecuteAsync(ClientStatement statement, CancellationToken cancellationToken = default) =>
        ExecuteAsync([statement], null, cancellationToken);

    /// <summary>
    /// Runs a read-only query; rows stream as the node sends them. Opening is retried per
    /// <see cref="ReadRetry"/>; a stream that breaks part way through is reported, not retried
    /// (the rows already read would be read again).
    /// </summary>
    /// <param name="statement">One read-only statement.</param>
    /// <param name="cancellationToken">Cancels opening and reading.</param>
    /// <exception cref="CorrosionException">the node refused the query, or reported an error mid-stream.</exception>
    public async Task<QueryResult> QueryAsync(ClientStatement statement, CancellationToken cancellationToken = default)
    {
        var (stream, columns) = await OpenQueryAsync(statement, cancellationToken);
        return new QueryResult(columns, ReadRows(stream, cancellationToken));
    }

    private Task<(NdjsonStream Stream, IReadOnlyList<string> Columns)> OpenQueryAsync(ClientStatement statement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var body = WriteStatement(statement);
        return RetryAsync(
            ReadRetry,
            async ct =>
            {
                using var request = NewRequest(HttpMethod.Post, "v1/queries", body);
                var opened = await OpenStreamAsync(request, ct);
                try
                {
                    return (opened, await ReadColumnsAsync(opened, ct));
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
            },
            cancellationToken);
    }

    /// <summary>
    /// Runs a read-only query and maps each row to <typeparamref name="T"/>: columns bind to the
    /// constructor parameters of the public constructor with the most parameters, then to settable
    /// properties, by name ignoring case and underscores (<c>created_at</c> binds <c>CreatedAt</c>).
    /// Supported member types: long, int, short, byte, uint, ulong, double, float, decimal, string,
    /// bool (from 0/1), byte[], enums, <see cref="JsonElement"/>, and their nullable forms.
    /// </summary>
    /// <typeparam name="T">A record or class; its reflection is cached.</typeparam>
    /// <param name="statement">One read-only statement.</param>
    /// <param name="cancellationToken">Cancels opening and reading.</param>
    /// <exception cref="RowMappingException">a parameter has no column, or a cell does not fit its member.</exception>
    /// <exception cref="CorrosionException">the node refused the query, or reported an error mid-stream.</exception>
    public async IAsyncEnumerable<T> QueryAsync<T>(ClientStatement statement, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (stream, columns) = await OpenQueryAsync(statement, cancellationToken);
        using (stream)
        {
            var map = RowMapper<T>.Bind(columns);
            await foreach (var row in ReadRows(stream, cancellationToken))
            {
                yield return map(row.Cells);
            }
        }
    }

    /// <summary>Maps cells of a result with the given columns to <typeparamref name="T"/>, as <see cref="QueryAsync{T}"/> does.</summary>
    /// <typeparam name="T">A record or class.</typeparam>
    /// <param name="columns">The result's column names.</param>
    /// <param name="cells">One row's cells.</param>
    /// <exception cref="RowMappingException">a parameter has no column, or a cell does not fit its member.</exception>
    public static T MapRow<T>(IReadOnlyList<string> columns, IReadOnlyList<JsonElement> cells)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(cells);
        return RowMapper<T>.Bind(columns)(cells);
    }

    /// <summary>
    /// Reads a JSON document from a GET endpoint of the node (for example <c>v1/members</c> or
    /// <c>v1/sync/state</c>). Not retried here; safe for callers to retry: it changes nothing.
    /// </summary>
    /// <param name="path">The path relative to the node's address.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
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

    private static async IAsyncEnumerable<QueryRow> ReadRows(NdjsonStream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (stream)
        {
            while (await stream.ReadAsync(cancellationToken) is { } line)
            {
                switch (line.Kind)
                {
                    case WireLineKind.Error:
                        throw new CorrosionException(200, line.Text);
                    case WireLineKind.EndOfQuery:
                        yield break;
                    case WireLineKind.Row:
                        yield return new QueryRow(line.RowId, line.Cells);
                        break;
                }
            }

            throw new CorrosionException(0, "the query stream ended before its end marker (eoq)");
        }
    }

    /// <summary>Reads the columns line that starts query and subscription streams.</summary>
    private static async Task<IReadOnlyList<string>> ReadColumnsAsync(NdjsonStream stream, CancellationToken cancellationToken)
    {
        var line = await stream.ReadAsync(cancellationToken) ?? throw new CorrosionException(0, "the node closed the stream before sending columns");
        return line.Kind switch
        {
            WireLineKind.Columns => line.Columns,
            WireLineKind.Error => throw new CorrosionException(200, line.Text),
            _ => throw new CorrosionException(0, "the node's stream did not start with columns"),
        };
    }

    /// <summary>Sends a request and opens its streamed response (headers read, body not yet).</summary>
    private async Task<NdjsonStream> OpenStreamAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return await NdjsonStream.OpenAsync(response, cancellationToken);
    }

    /// <summary>Runs a read, retrying transient failures (unreachable, broken, 502/503/504) with backoff.</summary>
    private async Task<T> RetryAsync<T>(RetryPolicy policy, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        for (var retry = 1; ; retry++)
        {
            try
            {
                return await attempt(cancellationToken);
            }
            catch (CorrosionException e) when (e.IsTransient && retry <= policy.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                // Retried below, after the backoff.
            }

            await Task.Delay(policy.DelayBefore(retry, Jitter), cancellationToken);
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
            cancellationToken.ThrowIfCancellationRequested();
            throw new CorrosionException(0, $"cannot reach the node at {_http.BaseAddress}: {e.Message}", e);
        }
        catch (IOException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new CorrosionException(0, $"the connection to the node at {_http.BaseAddress} broke: {e.Message}", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string text;
            try
            {
                text = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                text = string.Empty;
            }

            var message = text;
            long? oldest = null;
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (document.RootElement.TryGetProperty("error", out var error))
                    {
                        message = error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetRawText();
                    }

                    if (document.RootElement.TryGetProperty("oldest_change_id", out var o) && o.ValueKind == JsonValueKind.Number)
                    {
                        oldest = o.GetInt64();
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON: keep the raw text.
            }

            if (string.IsNullOrEmpty(message))
            {
                message = response.ReasonPhrase ?? "error";
            }

            if (response.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                throw new ChangeIdExpiredException(message, oldest);
            }

            throw new CorrosionException((int)response.StatusCode, message);
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

    internal static byte[] WriteStatement(ClientStatement statement)
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
                WriteReal(writer, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            default:
                throw new ArgumentException($"unsupported parameter type {value.GetType().Name}", nameof(value));
        }
    }

    /// <summary>
    /// Writes a floating-point parameter so the node stores a REAL: an integral value is written
    /// with a fraction (<c>7.0</c>), since the node reads a JSON number without one as an INTEGER.
    /// </summary>
    private static void WriteReal(Utf8JsonWriter writer, double value)
    {
        var text = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            // JSON has no infinities; the node reads 9e999 as SQLite's JSON functions write it.
            writer.WriteRawValue(value > 0 ? "9e999" : "-9e999");
        }
        else if (double.IsFinite(value) && text.IndexOfAny(['.', 'E', 'e']) < 0)
        {
            writer.WriteRawValue(text + ".0");
        }
        else
        {
            writer.WriteNumberValue(value);
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
