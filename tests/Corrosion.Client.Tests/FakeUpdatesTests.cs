using Corrosion.Client.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Client.Tests;

public sealed class FakeUpdatesTests
{
    [Fact]
    public async Task Updates_are_parsed_and_the_stream_reopens_after_it_ends()
    {
        var connections = 0;
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/updates/{table}", async (HttpContext c, string table) =>
        {
            if (table != "machines")
            {
                await FakeNode.RefuseAsync(c.Response, 400, new { error = $"no such table: {table}" });
                return;
            }

            var n = ++connections;
            await FakeNode.WriteLineAsync(c.Response, new { notify = new object[] { "update", new object[] { n, "a" } } });
            await FakeNode.WriteLineAsync(c.Response, new { notify = new object[] { "delete", new object[] { n, "b" } } });
            if (n == 1)
            {
                await FakeNode.WriteLineAsync(c.Response, new { error = "watcher too slow" });
                return;
            }

            await FakeNode.HoldAsync(c);
        }));
        using var client = node.Client();

        var updates = await Events.TakeAsync(client.UpdatesAsync("machines"), 4);

        Assert.Equal(
            [(UpdateKind.Update, 1L, "a"), (UpdateKind.Delete, 1L, "b"), (UpdateKind.Update, 2L, "a"), (UpdateKind.Delete, 2L, "b")],
            updates.Select(u => (u.Kind, u.PrimaryKey[0].GetInt64(), u.PrimaryKey[1].GetString())));
        Assert.Equal(2, connections);
    }

    [Fact]
    public async Task Updates_of_an_unknown_table_throw_400()
    {
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/updates/{table}", (HttpContext c, string table) =>
            FakeNode.RefuseAsync(c.Response, 400, new { error = $"no such table: {table}" })));
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<CorrosionException>(() => Events.TakeAsync(client.UpdatesAsync("nope"), 1));

        Assert.Equal((400, "no such table: nope"), (error.StatusCode, error.Message));
        Assert.Equal(1, node.Count("POST"));
    }

    [Fact]
    public async Task Cancelling_an_update_stream_ends_it()
    {
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/updates/{table}", FakeNode.HoldAsync));
        using var client = node.Client();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.UpdatesAsync("machines", cts.Token))
            {
                Assert.Fail($"unexpected {update}");
            }
        });
    }
}
