using Corrosion.Agent.Subscriptions;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>POST /v1/updates/{table}</c>: the primary keys of a replicated table as they change, locally
/// or by merge, streamed as NDJSON <c>{"notify":["update"|"delete",[pk values]]}</c>. Only changes
/// after the request are sent; a watcher that falls behind gets <c>{"error"}</c> and watches again.
/// </summary>
internal static class UpdatesEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        var table = (string)http.Request.RouteValues["table"]!;
        ApiAccess.CheckTable(http, table);
        if (api.Subscriptions is not { } subscriptions)
        {
            await SubscriptionsEndpoint.Unavailable(http);
            return;
        }

        var outcome = await SubscriptionsEndpoint.AskAsync<WatchOutcome>(http, subscriptions, reply => new WatchTable(table, reply));
        if (outcome is null)
        {
            return;
        }

        if (outcome.Stream is not { } stream)
        {
            // An unknown table is a bad request, as Corrosion answers it (400, not 404).
            var error = outcome.Error!;
            await SubscriptionsEndpoint.WriteErrorAsync(http, error.Kind == SubscriptionErrorKind.NotFound ? error with { Kind = SubscriptionErrorKind.BadQuery } : error);
            return;
        }

        await using (stream)
        {
            http.Response.ContentType = ApiResponses.NdJson;
            // Send the headers now: the first notification may be a long way off.
            await http.Response.StartAsync(http.RequestAborted);
            await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
            using var lines = new NdJsonStream(http, api.Options.Api);
            await SubscriptionsEndpoint.PumpAsync(http, lines, stream, stream.Notifications, static (w, n) =>
            {
                w.WriteStartObject();
                w.WriteStartArray("notify");
                w.WriteStringValue(n.Kind == UpdateKind.Delete ? "delete" : "update");
                SubscriptionsEndpoint.WriteCells(w, n.Pk);
                w.WriteEndArray();
                w.WriteEndObject();
            }, static () => "watch again and re-read the table");
        }
    }
}
