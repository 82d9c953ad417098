using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>GET /v1/health</c>: 200 with the node's figures, or 503 when one exceeds a threshold given in
/// the query (<c>?gaps=N&amp;p99_lag=S&amp;queue_size=N</c>), as Corrosion's health check does.
/// </summary>
internal static class HealthEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        var report = await api.Health(http.RequestAborted);
        var query = http.Request.Query;
        var healthy = Within(query["gaps"], report.Gaps, "gaps")
            & Within(query["queue_size"], report.QueueSize, "queue_size")
            & WithinLag(query["p99_lag"], report.P99Lag);

        http.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = ApiResponses.Json;
        await ApiResponses.WriteAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", healthy ? "ok" : "unhealthy");
            w.WriteString("actor_id", api.Store.SiteId.ToString());
            w.WriteStartObject("response");
            w.WriteNumber("gaps", report.Gaps);
            w.WriteNumber("members", report.Members);
            w.WriteNumber("p99_lag", report.P99Lag);
            w.WriteNumber("queue_size", report.QueueSize);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static bool Within(string? threshold, long value, string name)
    {
        if (string.IsNullOrEmpty(threshold))
        {
            return true;
        }

        if (!long.TryParse(threshold, NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
        {
            throw new ApiInputException($"{name} must be a non-negative integer, got \"{threshold}\"");
        }

        return value <= limit;
    }

    private static bool WithinLag(string? threshold, double lag)
    {
        if (string.IsNullOrEmpty(threshold))
        {
            return true;
        }

        if (!double.TryParse(threshold, NumberStyles.Float, CultureInfo.InvariantCulture, out var limit) || limit < 0)
        {
            throw new ApiInputException($"p99_lag must be a non-negative number of seconds, got \"{threshold}\"");
        }

        return lag <= limit;
    }
}
