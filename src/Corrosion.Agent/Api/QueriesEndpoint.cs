using System.Buffers;
using System.Diagnostics;
using Corrosion.Agent.Storage;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>POST /v1/queries</c>: one read-only statement on the read pool, streamed as NDJSON
/// (<c>{"columns"}</c>, <c>{"row":[rowid,[cells]]}</c>…, <c>{"eoq":{"time"}}</c>).
/// </summary>
internal static class QueriesEndpoint
{
    private const int FlushEveryRows = 256;

    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        using var document = await RequestBody.ReadJsonAsync(http, api.Options.Api.MaxBodySize.Bytes);
        var statement = StatementJson.ParseOne(document.RootElement);
        ApiAccess.CheckStatements(http, api, [statement]);
        var timeout = TransactionsEndpoint.ParseTimeout(http.Request.Query["timeout"]) ?? api.Options.Api.DefaultTimeout;
        var started = Stopwatch.GetTimestamp();

        // Errors found before the first row (bad SQL, a write) are a plain 400.
        using var query = OpenQuery(api, statement, timeout);

        http.Response.ContentType = ApiResponses.NdJson;
        await ApiResponses.WriteLineAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("columns");
            foreach (var column in query.Columns)
            {
                w.WriteStringValue(column);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }, flush: true);

        try
        {
            // One writer for every row line (a writer and a closure per row were most of the cost
            // of streaming a large answer).
            var body = http.Response.BodyWriter;
            using var writer = new System.Text.Json.Utf8JsonWriter(body);
            foreach (var row in query.Rows)
            {
                http.RequestAborted.ThrowIfCancellationRequested();
                writer.Reset();
                WriteRow(writer, row.RowId, row.Cells);
                writer.Flush();
                body.Write("\n"u8);
                if (row.RowId % FlushEveryRows == 0)
                {
                    await body.FlushAsync(http.RequestAborted);
                }
            }
        }
        catch (Exception e) when (e is SqlException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The status line is gone; the error travels in the stream, as Corrosion does.
            await ApiResponses.WriteLineAsync(http, w =>
            {
                w.WriteStartObject();
                w.WriteString("error", e.Message);
                w.WriteEndObject();
            }, flush: true);
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await ApiResponses.WriteLineAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("eoq");
            w.WriteNumber("time", elapsed.TotalSeconds);
            w.WriteEndObject();
            w.WriteEndObject();
        }, flush: true);
    }

    private static QueryResult OpenQuery(ApiContext api, Statement statement, TimeSpan timeout)
    {
        try
        {
            return api.Store.Query(statement, timeout, api.Options.Api.QueryOutputLimit);
        }
        catch (Exception e) when (e is SqlException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new ApiInputException(e.Message, e);
        }
    }

    internal static void WriteRow(System.Text.Json.Utf8JsonWriter w, long rowId, IReadOnlyList<SqlValue> cells)
    {
        w.WriteStartObject();
        w.WriteStartArray("row");
        w.WriteNumberValue(rowId);
        w.WriteStartArray();
        foreach (var cell in cells)
        {
            StatementJson.WriteValue(w, cell);
        }

        w.WriteEndArray();
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
