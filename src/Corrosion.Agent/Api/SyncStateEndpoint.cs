using Akka.Actor;
using System.Globalization;
using System.Text.Json;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>GET /v1/sync/state</c>: this node's sync state, the one it would send to a peer opening a sync
/// session, as <c>{"actor_id", "heads": {actor: version}, "need": {actor: [{"start","end"}]},
/// "partial_need": {actor: {version: [{"start","end"}]}}}</c>. Actors and versions are sorted so two
/// calls on an idle node give the same text.
/// </summary>
internal static class SyncStateEndpoint
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        SyncState state;
        try
        {
            state = await api.Storage.Ask<SyncState>(static reply => new ReadSyncState(reply), AskTimeout, http.RequestAborted);
        }
        catch (AskTimeoutException e)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "storage did not answer: " + e.Message);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = ApiResponses.Json;
        await ApiResponses.WriteAsync(http, w => Write(w, state));
    }

    private static void Write(Utf8JsonWriter w, SyncState state)
    {
        w.WriteStartObject();
        w.WriteString("actor_id", state.Actor.ToString());
        w.WriteStartObject("heads");
        foreach (var (actor, head) in state.Heads.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal))
        {
            w.WriteNumber(actor.ToString(), head);
        }

        w.WriteEndObject();
        w.WriteStartObject("need");
        foreach (var (actor, ranges) in state.Needs.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal))
        {
            w.WriteStartArray(actor.ToString());
            foreach (var range in ranges)
            {
                WriteRange(w, range.Start, range.End);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteStartObject("partial_need");
        foreach (var (actor, versions) in state.PartialNeeds.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal))
        {
            w.WriteStartObject(actor.ToString());
            foreach (var (version, seqs) in versions.OrderBy(p => p.Key))
            {
                w.WriteStartArray(version.ToString(CultureInfo.InvariantCulture));
                foreach (var seq in seqs)
                {
                    WriteRange(w, seq.Start, seq.End);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteRange(Utf8JsonWriter w, long start, long end)
    {
        w.WriteStartObject();
        w.WriteNumber("start", start);
        w.WriteNumber("end", end);
        w.WriteEndObject();
    }
}
