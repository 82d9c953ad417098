using Akka.Actor;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>POST /v1/subscriptions</c> and <c>GET /v1/subscriptions/{id}</c>: a live query streamed as
/// NDJSON: <c>{"columns"}</c>, <c>{"row":[rowid,[cells]]}</c>…, <c>{"eoq":{"time","change_id"}}</c>,
/// then <c>{"change":[kind, rowid, [cells], change_id]}</c> as the result changes. With
/// <c>?from=N</c> the stream replays the changes after <c>N</c> instead of the rows. A stream that
/// cannot go on (the listener fell behind, the node is stopping) ends with <c>{"error"}</c>; the
/// client resumes with <c>from=</c> its last change id.
/// </summary>
internal static class SubscriptionsEndpoint
{
    public const string QueryIdHeader = "corro-query-id";
    public const string QueryHashHeader = "corro-query-hash";
    private const int FlushEveryRows = 256;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static async Task SubscribeAsync(HttpContext http, ApiContext api, ApiAccess access)
    {
        var skipRows = BoolQuery(http, "skip_rows");
        using var document = await RequestBody.ReadJsonAsync(http, api.Options.Api.MaxBodySize.Bytes);
        var statement = StatementJson.ParseOne(document.RootElement);
        var tables = ApiAccess.CheckStatements(http, api, [statement]);
        if (api.Subscriptions is not { } subscriptions)
        {
            await Unavailable(http);
            return;
        }

        var outcome = await AskAsync<SubscribeOutcome>(http, subscriptions, reply => new Subscribe(statement, skipRows, reply, InlineReader: true));
        if (tables is not null && outcome?.Stream is { } created)
        {
            access.RememberSubscription(created.QueryId, tables);
        }

        await StreamAsync(http, api, outcome);
    }

    public static async Task AttachAsync(HttpContext http, ApiContext api, ApiAccess access)
    {
        var id = (string)http.Request.RouteValues["id"]!;
        access.CheckSubscription(http, id);
        var skipRows = BoolQuery(http, "skip_rows");
        long? from = null;
        if (http.Request.Query.TryGetValue("from", out var fromText))
        {
            if (!long.TryParse(fromText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw new ApiInputException($"from must be a change id (a non-negative integer), not \"{fromText}\"");
            }

            from = parsed;
        }

        if (api.Subscriptions is not { } subscriptions)
        {
            await Unavailable(http);
            return;
        }

        var outcome = await AskAsync<SubscribeOutcome>(http, subscriptions, reply => new AttachSubscription(id, from, skipRows, reply, InlineReader: true));
        await StreamAsync(http, api, outcome, from);
    }

    internal static bool BoolQuery(HttpContext http, string name)
    {
        if (!http.Request.Query.TryGetValue(name, out var text))
        {
            return false;
        }

        return text.ToString() switch
        {
            "" or "true" or "1" => true,
            "false" or "0" => false,
            var other => throw new ApiInputException($"{name} must be true or false, not \"{other}\""),
        };
    }

    internal static Task Unavailable(HttpContext http) =>
        ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "this node runs without subscriptions");

    internal static async Task<TReply?> AskAsync<TReply>(HttpContext http, ActorRef<SubscriptionCommand> subscriptions, Func<ActorRef<TReply>, SubscriptionCommand> create)
        where TReply : class
    {
        try
        {
            // Not cancelled when the client leaves: a stream answered after that would reach no one
            // and its listener would linger until it overflowed; here it is disposed when writing fails.
            return await subscriptions.Ask(create, AskTimeout, CancellationToken.None);
        }
        catch (AskTimeoutException)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "the subscription service did not answer in time");
            return null;
        }
    }

    internal static async Task WriteErrorAsync(HttpContext http, SubscriptionError error)
    {
        var status = error.Kind switch
        {
            SubscriptionErrorKind.BadQuery => StatusCodes.Status400BadRequest,
            SubscriptionErrorKind.NotFound => StatusCodes.Status404NotFound,
            SubscriptionErrorKind.ChangeIdExpired => StatusCodes.Status410Gone,
            _ => StatusCodes.Status503ServiceUnavailable,
        };
        http.Response.StatusCode = status;
        http.Response.ContentType = ApiResponses.Json;
        await ApiResponses.WriteAsync(http, w =>
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

    private static async Task StreamAsync(HttpContext http, ApiContext api, SubscribeOutcome? outcome, long? from = null)
    {
        if (outcome is null)
        {
            return;
        }

        if (outcome.Stream is not { } stream)
        {
            await WriteErrorAsync(http, outcome.Error!);
            return;
        }

        await using (stream)
        {
            http.Response.Headers[QueryIdHeader] = stream.QueryId;
            http.Response.Headers[QueryHashHeader] = stream.QueryHash;
            http.Response.ContentType = ApiResponses.NdJson;
            using var lines = new NdJsonStream(http, api.Options.Api);
            // The change id a reader resumes from: none until the rows are all written (it subscribes again).
            long? resumeFrom = from;
            try
            {
                lines.WriteLine(WriteColumns, stream.Columns);
                var written = 0;
                foreach (var row in stream.Rows)
                {
                    lines.WriteLine(static (w, row) => QueriesEndpoint.WriteRow(w, row.RowId, row.Cells), row);
                    if (++written % FlushEveryRows == 0)
                    {
                        await lines.FlushAsync(http.RequestAborted);
                    }
                }

                if (stream.EndOfQuery is { } eoq)
                {
                    lines.WriteLine(static (w, eoq) =>
                    {
                        w.WriteStartObject();
                        w.WriteStartObject("eoq");
                        w.WriteNumber("time", eoq.Time);
                        w.WriteNumber("change_id", eoq.ChangeId);
                        w.WriteEndObject();
                        w.WriteEndObject();
                    }, eoq);
                    resumeFrom = eoq.ChangeId;
                }

                foreach (var change in stream.Replay)
                {
                    lines.WriteLine(WriteChange, change);
                    resumeFrom = change.ChangeId;
                    if (++written % FlushEveryRows == 0)
                    {
                        await lines.FlushAsync(http.RequestAborted);
                    }
                }

                await lines.FlushAsync(http.RequestAborted);
            }
            catch (StreamStalledException e)
            {
                await stream.DisposeAsync();
                await lines.EndWithErrorAsync(StalledMessage(e, resumeFrom));
                return;
            }

            var last = resumeFrom ?? 0;
            await PumpAsync(
                http,
                lines,
                stream,
                stream.Changes,
                (w, change) =>
                {
                    WriteChange(w, change);
                    last = change.ChangeId;
                },
                () => $"resume with from={last}");
        }
    }

    // Before the end of the rows there is no change id to resume from: subscribe again.
    private static string StalledMessage(StreamStalledException e, long? resumeFrom) =>
        resumeFrom is { } id ? $"{e.Message}; resume with from={id}" : $"{e.Message}; subscribe again";

    /// <summary>
    /// Writes what the channel holds, flushing once per burst, until it completes; a channel ended
    /// with an error ends the stream with <c>{"error"}</c>, and so does a reader too slow for
    /// <c>api.min_data_rate</c> or the node stopping (both with <paramref name="resumeHint"/>): a
    /// graceful stop waits for open requests, so a live stream must end by itself or it holds the
    /// stop for the host's whole shutdown timeout.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="lines">Its answer.</param>
    /// <param name="source">The listener feeding <paramref name="reader"/>: detached as soon as the stream must end, so nothing more collects for it.</param>
    /// <param name="reader">The items.</param>
    /// <param name="write">Writes one item's line.</param>
    /// <param name="resumeHint">What the reader should do next, for the closing error.</param>
    internal static async Task PumpAsync<T>(HttpContext http, NdJsonStream lines, IAsyncDisposable source, ChannelReader<T> reader, Action<Utf8JsonWriter, T> write, Func<string> resumeHint)
    {
        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        try
        {
            try
            {
                while (await reader.WaitToReadAsync(cancel.Token))
                {
                    // A subscription's pump may be resumed on the subscription actor's thread (an inline
                    // reader): it writes the lines and starts the flush; a flush that does not complete at
                    // once is awaited off that thread.
                    var burst = 0;
                    while (reader.TryRead(out var item))
                    {
                        lines.WriteLine(write, item);
                        if (++burst % FlushEveryRows == 0)
                        {
                            await lines.FlushAsync(http.RequestAborted);
                        }
                    }

                    await lines.FlushAsync(http.RequestAborted);
                }
            }
            catch (StreamStalledException e)
            {
                await source.DisposeAsync();
                await lines.EndWithErrorAsync($"{e.Message}; {resumeHint()}");
            }
            catch (Exception e) when (e is SubscriberTooSlowException or ChannelClosedException)
            {
                await source.DisposeAsync();
                await lines.EndWithErrorAsync(e.Message);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
            {
                await source.DisposeAsync();
                await lines.EndWithErrorAsync($"the node is shutting down; {resumeHint()}");
            }
        }
        finally
        {
            // The end of the stream (and of the request after it) is not the waker's work: a pump
            // resumed on the subscription actor's thread leaves it before the request completes.
            await Task.Yield();
        }
    }

    private static void WriteColumns(Utf8JsonWriter w, IReadOnlyList<string> columns)
    {
        w.WriteStartObject();
        w.WriteStartArray("columns");
        foreach (var column in columns)
        {
            w.WriteStringValue(column);
        }

        w.WriteEndArray();
        w.WriteEndObject();
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
        WriteCells(w, change.Cells);
        w.WriteNumberValue(change.ChangeId);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static void WriteCells(Utf8JsonWriter w, IReadOnlyList<SqlValue> cells)
    {
        w.WriteStartArray();
        foreach (var cell in cells)
        {
            StatementJson.WriteValue(w, cell);
        }

        w.WriteEndArray();
    }
}
