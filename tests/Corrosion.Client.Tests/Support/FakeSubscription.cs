using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Client.Tests.Support;

/// <summary>How one connection to the fake subscription ends.</summary>
public enum Cut
{
    /// <summary>Keep the stream open (the client must go away).</summary>
    Hold,

    /// <summary>Abort the connection (a broken TCP connection).</summary>
    Abort,

    /// <summary>End the response normally.</summary>
    End,

    /// <summary>Write an error line, then end (what the node does to a slow subscriber).</summary>
    ErrorLine,
}

/// <summary>
/// One connection's script: an HTTP status to refuse with, or how many lines to send after the
/// columns and how to end. <paramref name="Gate"/>, when given, is awaited before the cut: the test
/// server drops data still in flight when it aborts, so a test opens the gate once the client has
/// seen what was sent.
/// </summary>
public sealed record Plan(int Status = 200, int Lines = int.MaxValue, Cut Cut = Cut.Hold, Task? Gate = null);

/// <summary>
/// A subscription served by a <see cref="FakeNode"/>: initial rows, an end of query, and a change
/// log; each connection follows the next <see cref="Plan"/> (then the default: send all, hold).
/// </summary>
public sealed class FakeSubscription
{
    public const string QueryId = "q-1";

    public string[] Columns { get; init; } = ["id", "name"];

    public List<(long RowId, object?[] Cells)> Rows { get; } = [(1, [1, "a"]), (2, [2, "b"])];

    public long EndOfQueryChangeId { get; init; } = 0;

    public List<(string Kind, long RowId, object?[] Cells, long ChangeId)> Changes { get; } = [];

    /// <summary>Changes with ids below this are no longer kept (410 when resuming before it).</summary>
    public long OldestKept { get; set; } = 1;

    /// <summary>How many already-sent changes a resumed stream repeats (the client must drop them).</summary>
    public int ReplayOverlap { get; init; }

    public bool Known { get; set; } = true;

    public ConcurrentQueue<Plan> Plans { get; } = new();

    public static FakeSubscription WithChanges(int count)
    {
        var fake = new FakeSubscription();
        for (var i = 1; i <= count; i++)
        {
            fake.Changes.Add(("insert", 10 + i, [10 + i, $"n{i}"], i));
        }

        return fake;
    }

    public void Map(WebApplication app)
    {
        app.MapPost("/v1/subscriptions", (HttpContext context) => ServeAsync(context, from: null));
        app.MapGet("/v1/subscriptions/{id}", (HttpContext context, string id) =>
        {
            if (id != QueryId || !Known)
            {
                return FakeNode.RefuseAsync(context.Response, 404, new { error = $"unknown subscription {id}" });
            }

            var from = long.Parse(context.Request.Query["from"]!, CultureInfo.InvariantCulture);
            return ServeAsync(context, from);
        });
    }

    private async Task ServeAsync(HttpContext context, long? from)
    {
        var plan = Plans.TryDequeue(out var p) ? p : new Plan();
        if (plan.Status != 200)
        {
            await FakeNode.RefuseAsync(context.Response, plan.Status, new { error = $"status {plan.Status}" });
            return;
        }

        if (from is { } f && f + 1 < OldestKept)
        {
            await FakeNode.RefuseAsync(context.Response, 410, new { error = $"change id {f} expired", oldest_change_id = OldestKept });
            return;
        }

        context.Response.Headers["corro-query-id"] = QueryId;
        context.Response.Headers["corro-query-hash"] = "hash-1";
        context.Response.ContentType = "application/x-ndjson";
        await FakeNode.WriteLineAsync(context.Response, new { columns = Columns });
        var lines = new List<object>();
        long after;
        if (from is null)
        {
            if (context.Request.Query["skip_rows"] != "true")
            {
                lines.AddRange(Rows.Select(r => (object)new { row = new object[] { r.RowId, r.Cells } }));
            }

            lines.Add(new { eoq = new { time = 0.001, change_id = EndOfQueryChangeId } });
            after = EndOfQueryChangeId;
        }
        else
        {
            after = Math.Max(0, from.Value - ReplayOverlap);
        }

        lines.AddRange(Changes.Where(c => c.ChangeId > after).Select(c => (object)new { change = new object[] { c.Kind, c.RowId, c.Cells, c.ChangeId } }));
        foreach (var line in lines.Take(plan.Lines))
        {
            await FakeNode.WriteLineAsync(context.Response, line);
        }

        if (plan.Gate is { } gate)
        {
            await gate.WaitAsync(context.RequestAborted);
        }

        switch (plan.Cut)
        {
            case Cut.Hold:
                await FakeNode.HoldAsync(context);
                break;
            case Cut.Abort:
                context.Abort();
                break;
            case Cut.ErrorLine:
                await FakeNode.WriteLineAsync(context.Response, new { error = "subscriber too slow" });
                break;
            case Cut.End:
                break;
        }
    }
}
