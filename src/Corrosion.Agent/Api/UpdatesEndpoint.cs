using Corrosion.Agent.Subscriptions;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>POST /v1/updates/{table}</c>: the primary keys of a table's changed rows as NDJSON,
/// <c>{"notify":["update"|"delete",[pk values]]}</c> per changed key, for as long as the client stays.
/// Nothing is replayed: a watcher that fell behind gets <c>{"error"}</c> and re-reads the table.
/// </summary>
internal static class UpdatesEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        if (api.Subscriptions is not { } subscriptions)
        {
            await SubscriptionsEndpoint.WriteUnavailableAsync(http);
            return;
        }

        var table = (string)http.Request.RouteValues["table"]!;
        var outcome = await SubscriptionsEndpoint.AskAsync<WatchOutcome>(http, subscriptions, reply => new WatchTable(table, reply));
        if (outcome is null)
        {
            return;
        }

        if (outcome.Stream is not { } stream)
        {
            await SubscriptionsEndpoint.WriteRefusalAsync(http, outcome.Error ?? new SubscriptionError(SubscriptionErrorKind.Unavailable, "no stream"));
            return;
        }

        await using (stream)
        {
            http.Response.ContentType = ApiResponses.NdJson;
            using var lines = new SubscriptionsEndpoint.NdJsonLines(http);
            // Starts the response so the client knows it is watching before the first change.
            await lines.FlushAsync();
            await SubscriptionsEndpoint.PumpAsync(http, lines, stream.Notifications, (w, notification) =>
            {
                w.WriteStartObject();
                w.WriteStartArray("notify");
                w.WriteStringValue(notification.Kind == UpdateKind.Delete ? "delete" : "update");
                w.WriteStartArray();
                foreach (var value in notification.Pk)
                {
                    StatementJson.WriteValue(w, value);
                }

                w.WriteEndArray();
                w.WriteEndArray();
                w.WriteEndObject();
            }, () => "watch again and re-read the table");
        }
    }
}
