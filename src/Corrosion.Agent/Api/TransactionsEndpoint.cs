using System.Globalization;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary><c>POST /v1/transactions</c>: statements in one transaction through the writer actor.</summary>
internal static class TransactionsEndpoint
{
    // The ask waits for the mailbox as well as the transaction; give it room beyond the SQL timeout.
    private static readonly TimeSpan QueueAllowance = TimeSpan.FromSeconds(30);

    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        var statements = await ReadStatementsAsync(http, api);
        ApiAccess.CheckStatements(http, api, statements);
        var timeout = ParseTimeout(http.Request.Query["timeout"]) ?? api.Options.Api.DefaultTimeout;

        if (api.Admission is { } admission)
        {
            // Cross-node back-pressure: waits (at most gossip.replication.max_write_wait) while a live peer trails too far.
            await admission.WaitAsync(http.RequestAborted);
        }

        // The writer completes the outcome's task itself: no temporary reply actor per request.
        // The request's span (when traced) becomes the parent of the writer's spans.
        var execute = ExecuteTransaction.Completing(statements, timeout, out var reply, System.Diagnostics.Activity.Current?.Context ?? default);
        api.Storage.Tell(execute);
        TransactionOutcome outcome;
        try
        {
            outcome = await reply.WaitAsync(timeout + QueueAllowance, http.RequestAborted);
        }
        catch (TimeoutException)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable,
                "the node did not answer in time; the transaction's outcome is unknown");
            return;
        }

        if (outcome.Result is not { } result)
        {
            var status = outcome.TimedOut ? StatusCodes.Status408RequestTimeout : StatusCodes.Status400BadRequest;
            var where = outcome.StatementIndex is { } index ? $"statement {index}: " : string.Empty;
            await ApiResponses.WriteErrorAsync(http, status, $"{where}{outcome.Error} (nothing was applied)");
            return;
        }

        http.Response.ContentType = ApiResponses.Json;
        await ApiResponses.WriteAsync(http, (result, api.ActorIdJson), static (w, answer) =>
        {
            var (result, actor) = answer;
            w.WriteStartObject();
            w.WriteStartArray("results");
            foreach (var statement in result.Results)
            {
                w.WriteStartObject();
                w.WriteNumber("rows_affected", statement.RowsAffected);
                w.WriteNumber("time", statement.Elapsed.TotalSeconds);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("time", result.Elapsed.TotalSeconds);
            if (result.Version is { } version)
            {
                w.WriteNumber("version", version);
            }
            else
            {
                w.WriteNull("version");
            }

            w.WriteString("actor_id", actor);
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The body's statements: read straight from its text in the common shapes, else through a JSON
    /// document (the other shapes, and every error message).
    /// </summary>
    private static async Task<IReadOnlyList<Statement>> ReadStatementsAsync(HttpContext http, ApiContext api)
    {
        using var body = await RequestBody.ReadAsync(http, api.Options.Api.MaxBodySize.Bytes);
        if (StatementJson.TryParseMany(body.Memory.Span, out var statements))
        {
            return statements;
        }

        // The document takes the body's buffer over; disposing both returns it once.
        using var document = RequestBody.Parse(body);
        return StatementJson.ParseMany(document.RootElement);
    }

    /// <summary>Reads <c>?timeout=</c> in seconds (Corrosion's unit); fractions allowed.</summary>
    internal static TimeSpan? ParseTimeout(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || seconds <= 0 || seconds > 24 * 3600)
        {
            throw new ApiInputException($"timeout must be a positive number of seconds, got \"{text}\"");
        }

        return TimeSpan.FromSeconds(seconds);
    }
}
