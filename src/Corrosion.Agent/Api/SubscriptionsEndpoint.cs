using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Corrosion.Actors;
using Corrosion.Agent.Subscriptions;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>POST /v1/subscriptions</c> and <c>GET /v1/subscriptions/{id}?from=&amp;skip_rows=</c>: a live
/// query as NDJSON — <c>{"columns"}</c>, <c>{"row":[rowid,[cells]]}</c>…, <c>{"eoq":{"time","change_id"}}</c>,
/// then <c>{"change":[kind, rowid, [cells], change_id]}</c> for as long as the client stays. The
/// stream ends with <c>{"error"}</c> when the subscriber fell behind (it resumes with <c>from=</c>).
/// </summary>
internal static class SubscriptionsEndpoint
{
    public const string QueryIdHeader = "corro-query-id";
    public const string QueryHashHeader = "corro-query-hash";

    // Subscribing may evaluate the query for the first time; a slow query is still an answer.
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static async Task SubscribeAsync(HttpContext http, ApiContext api)
    {
        if (api.Subscriptions is not { } subscriptions)
        {
            await WriteUnavailableAsync(http);
            return;
        }

        var skipRows = ParseSkipRows(http);
        using var document = await RequestBody.ReadJsonAsync(http, api.Options.Api.MaxBodySize.Bytes);
        var statement = StatementJson.ParseOne(document.RootElement);
        var outcome = await AskAsync<SubscribeOutcome>(http, subscriptions, reply => new Subscribe(statement, skipRows, reply));
        await ServeAsync(http, outcome);
    }

    public static async Task AttachAsync(HttpContext http, ApiContext api)
    {
        if (api.Subscriptions is not { } subscriptions)
        {
            await WriteUnavailableAsync(http);
            return;
        }

        var id = (string)http.Request.RouteValues["id"]!;
        var skipRows = ParseSkipRows(http);
        long? from = null;
        if (http.Request.Query.TryGetValue("from", out var fromText))
        {
            if (!long.TryParse(fromText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new ApiInputException($"from must be a change id (a non-negative integer), not \"{fromText}\"");
            }

            from = parsed;
        }

        var outcome = await AskAsync<SubscribeOutcome>(http, subscriptions, reply => new AttachSubscription(id, from, skipRows, reply));
        await ServeAsync(http, outcome);
    }

    /// <summary>Answers 503 when the node runs without the subscription actor.</summary>
    internal static Task WriteUnavailableAsync(HttpContext http) =>
        ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "live queries are not available on this node");

    /// <summary>Asks the subscription actor; null (with a 503 written) when it does not answer.</summary>
    internal static async Task<TReply?> AskAsync<TReply>(HttpContext http, ActorRef<SubscriptionCommand> subscriptions, Func<ActorRef<TReply>, SubscriptionCommand> create)
        where TReply : class
    {
        try
        {
            // Not cancelled when the client leaves: a stream handed out after that would never be
            // disposed, and its listener would linger; the caller disposes it instead.
            return await subscriptions.Ask(create, AskTimeout, CancellationToken.None);
        }
        catch (Exception e) when (e is AskTimeoutException or ActorStoppedException)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "the subscription service did not answer; try again");
            return null;
        }
    }

    /// <summary>Writes a refusal with the status of its kind (410 carries the oldest change id kept).</summary>
    internal static Task WriteRefusalAsync(HttpContext http, SubscriptionError error)
    {
        if (http.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        http.Response.StatusCode = error.Kind switch
        {
            SubscriptionErrorKind.BadQuery => StatusCodes.Status400BadRequest,
            SubscriptionErrorKind.NotFound => StatusCodes.Status404NotFound,
            SubscriptionErrorKind.ChangeIdExpired => StatusCodes.Status410Gone,
            _ => StatusCodes.Status503ServiceUnavailable,
        };
        http.Response.ContentType = ApiResponses.Json;
        return ApiResponses.WriteAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", error.Message);
            if (error.OldestChangeId is { } oldest)
            {
                w.WriteNumber("oldest_change_id", oldest);
            }

            w.WriteEndObject();
        });
    }

    private static bool ParseSkipRows(HttpContext http)
    {
        if (!http.Request.Query.TryGetValue("skip_rows", out var text))
        {
            return false;
        }

        // A bare flag (?skip_rows) means true, as query-string booleans usually do.
        return text.ToString() switch
        {
            "" or "1" => true,
            "0" => false,
            var other when bool.TryParse(other, out var skip) => skip,
            var other => throw new ApiInputException($"skip_rows must be true or false, not \"{other}\""),
        };
    }

    private static async Task ServeAsync(HttpContext http, SubscribeOutcome? outcome)
    {
        if (outcome is null)
        {
            return;
        }

        if (outcome.Stream is not { } stream)
        {
            await WriteRefusalAsync(http, outcome.Error ?? new SubscriptionError(SubscriptionErrorKind.Unavailable, "no stream"));
            return;
        }

        // Disposing detaches the listener, whether the client left, the stream ended or writing failed.
        await using (stream)
        {
            http.Response.Headers[QueryIdHeader] = stream.QueryId;
            http.Response.Headers[QueryHashHeader] = stream.QueryHash;
            http.Response.ContentType = ApiResponses.NdJson;
            using var lines = new NdJsonLines(http);
            lines.Write(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("columns");
                foreach (var column in stream.Columns)
                {
                    w.WriteStringValue(column);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
            await lines.FlushAsync();

            long lastChangeId = 0;
            if (stream.EndOfQuery is { } endOfQuery)
            {
                foreach (var row in stream.Rows)
                {
                    lines.Write(w => QueriesEndpoint.WriteRow(w, row.RowId, row.Cells));
                    await lines.FlushIfFullAsync();
                }

                lines.Write(w =>
                {
                    w.WriteStartObject();
                    w.WriteStartObject("eoq");
                    w.WriteNumber("time", endOfQuery.Time);
                    w.WriteNumber("change_id", endOfQuery.ChangeId);
                    w.WriteEndObject();
                    w.WriteEndObject();
                });
                lastChangeId = endOfQuery.ChangeId;
            }

            foreach (var change in stream.Replay)
            {
                lines.Write(w => WriteChange(w, change));
                lastChangeId = change.ChangeId;
                await lines.FlushIfFullAsync();
            }

            await lines.FlushAsync();
            await PumpAsync(http, lines, stream.Changes, (w, change) =>
            {
                WriteChange(w, change);
                lastChangeId = change.ChangeId;
            }, () => $"resume with from={lastChangeId}");
        }
    }

    /// <summary>
    /// Copies a live channel to the response until the client leaves or the channel ends, writing
    /// every line that is already queued before one flush, and ending with <c>{"error"}</c> when the
    /// channel completes with an error or the node shuts down.
    /// </summary>
    internal static async Task PumpAsync<T>(HttpContext http, NdJsonLines lines, System.Threading.Channels.ChannelReader<T> reader, Action<Utf8JsonWriter, T> write, Func<string> resumeHint)
    {
        // A graceful shutdown waits for requests to finish: a live stream must end on its own then.
        var stopping = ApplicationStopping(http);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        while (true)
        {
            bool more;
            try
            {
                more = await reader.WaitToReadAsync(cancel.Token);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
            {
                await WriteStreamErrorAsync(lines, $"the node is shutting down; {resumeHint()}");
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The channel completed with an error: too slow, or the subscription went away.
                await WriteStreamErrorAsync(lines, e.Message);
                return;
            }

            if (!more)
            {
                return;
            }

            while (reader.TryRead(out var item))
            {
                lines.Write(w => write(w, item));
                await lines.FlushIfFullAsync();
            }

            await lines.FlushAsync();
        }
    }

    private static CancellationToken ApplicationStopping(HttpContext http) =>
        http.RequestServices.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime)) is Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime
            ? lifetime.ApplicationStopping
            : CancellationToken.None;

    private static async Task WriteStreamErrorAsync(NdJsonLines lines, string message)
    {
        lines.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("error", message);
            w.WriteEndObject();
        });
        await lines.FlushAsync();
    }

    private static void WriteChange(Utf8JsonWriter w, SubscriptionChange change)
    {
        w.WriteStartObject();
        w.WriteStartArray("change");
        w.WriteStringValue(change.Kind switch
        {
            ChangeKind.Insert => "insert",
            ChangeKind.Update => "update",
            _ => "delete",
        });
        w.WriteNumberValue(change.RowId);
        w.WriteStartArray();
        foreach (var cell in change.Cells)
        {
            StatementJson.WriteValue(w, cell);
        }

        w.WriteEndArray();
        w.WriteNumberValue(change.ChangeId);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// NDJSON lines written into the response's pipe with one reusable JSON writer; flushed when
    /// asked, or when enough lines are pending that holding them back would only add latency.
    /// </summary>
    internal sealed class NdJsonLines : IDisposable
    {
        private const int MaxPendingLines = 256;
        private readonly HttpContext _http;
        private readonly Utf8JsonWriter _writer;
        private int _pending;

        public NdJsonLines(HttpContext http)
        {
            _http = http;
            _writer = new Utf8JsonWriter(http.Response.BodyWriter);
        }

        public void Dispose() => _writer.Dispose();

        public void Write(Action<Utf8JsonWriter> write)
        {
            write(_writer);
            _writer.Flush();
            _writer.Reset();
            _http.Response.BodyWriter.Write("\n"u8);
            _pending++;
        }

        public ValueTask FlushIfFullAsync() => _pending >= MaxPendingLines ? FlushAsync() : ValueTask.CompletedTask;

        public async ValueTask FlushAsync()
        {
            _pending = 0;
            await _http.Response.BodyWriter.FlushAsync(_http.RequestAborted);
        }
    }
}
