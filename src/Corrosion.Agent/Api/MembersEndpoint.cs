using Akka.Actor;
using Corrosion.Agent.Membership;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>GET /v1/members</c>: this node's view of the cluster as a JSON array of
/// <c>{"id","addr","state","incarnation","rtt_ms","self"}</c>, this node first (<c>"self": true</c>).
/// </summary>
internal static class MembersEndpoint
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        if (api.Membership is null)
        {
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "membership is not running on this node");
            return;
        }

        MembersSnapshot snapshot;
        try
        {
            snapshot = await api.Membership.Ask<MembersSnapshot>(reply => new GetMembers(reply), AskTimeout, http.RequestAborted);
        }
        catch (AskTimeoutException e)
        {
            // Busy or restarting: a condition to retry, as GET /v1/sync/state says of storage, not an internal error.
            await ApiResponses.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, "membership did not answer: " + e.Message);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = ApiResponses.Json;
        await ApiResponses.WriteAsync(http, w =>
        {
            w.WriteStartArray();
            Write(w, snapshot.Self, self: true);
            foreach (var member in snapshot.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal))
            {
                Write(w, member, self: false);
            }

            w.WriteEndArray();
        });
    }

    private static void Write(System.Text.Json.Utf8JsonWriter w, MemberInfo member, bool self)
    {
        w.WriteStartObject();
        w.WriteString("id", member.Id.ToString());
        w.WriteString("addr", member.Address.ToString());
        w.WriteString("state", member.State.ToString().ToLowerInvariant());
        w.WriteNumber("incarnation", member.Incarnation);
        if (member.LastRttMs is { } rtt)
        {
            w.WriteNumber("rtt_ms", rtt);
        }
        else
        {
            w.WriteNull("rtt_ms");
        }

        w.WriteBoolean("self", self);
        w.WriteEndObject();
    }
}
