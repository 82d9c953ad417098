using Corrosion.Client.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Client.Tests;

public sealed class FakeQueryTests
{
    public sealed record Machine(long Id, string Name, double? Load, bool Active, byte[]? Blob, int RackNumber);

    public sealed class MachineRow
    {
        public long Id { get; set; }

        public string? Name { get; set; }

        public long? RackNumber { get; set; }
    }

    public sealed record Narrow(long Id);

    public sealed record NeedsMissing(long Id, string Missing);

    public sealed record WithDefault(long Id, string Note = "none");

    private static object[] Columns => ["id", "name", "load", "active", "blob", "rack_number"];

    private static Task<FakeNode> QueryNodeAsync(params object?[][] rows) => FakeNode.StartAsync(app =>
        app.MapPost("/v1/queries", async (HttpContext c) =>
        {
            await FakeNode.WriteLineAsync(c.Response, new { columns = Columns });
            var id = 0;
            foreach (var row in rows)
            {
                await FakeNode.WriteLineAsync(c.Response, new { row = new object[] { ++id, row } });
            }

            await FakeNode.WriteLineAsync(c.Response, new { eoq = new { time = 0.001 } });
        }));

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }

    [Fact]
    public async Task Typed_query_maps_columns_to_record_constructor_parameters_by_snake_case_name()
    {
        await using var node = await QueryNodeAsync(
            [1, "m1", 0.5, 1, new[] { 1, 2, 255 }, 7],
            [2, "m2", null, 0, null, 8]);
        using var client = node.Client();

        var machines = await ToListAsync(client.QueryAsync<Machine>("SELECT ..."));

        Assert.Equal(2, machines.Count);
        Assert.Equal((1L, "m1", 0.5, true, 7), (machines[0].Id, machines[0].Name, machines[0].Load, machines[0].Active, machines[0].RackNumber));
        Assert.Equal(new byte[] { 1, 2, 255 }, machines[0].Blob);
        Assert.Null(machines[1].Load);
        Assert.Null(machines[1].Blob);
        Assert.False(machines[1].Active);
    }

    [Fact]
    public async Task Typed_query_sets_properties_and_ignores_extra_columns()
    {
        await using var node = await QueryNodeAsync([1, "m1", 0.5, 1, null, 7]);
        using var client = node.Client();

        var rows = await ToListAsync(client.QueryAsync<MachineRow>("SELECT ..."));
        var narrow = await ToListAsync(client.QueryAsync<Narrow>("SELECT ..."));
        var defaulted = await ToListAsync(client.QueryAsync<WithDefault>("SELECT ..."));

        Assert.Equal((1L, "m1", (long?)7), (rows[0].Id, rows[0].Name, rows[0].RackNumber));
        Assert.Equal(new Narrow(1), narrow[0]);
        Assert.Equal(new WithDefault(1, "none"), defaulted[0]);
    }

    [Fact]
    public async Task Typed_query_names_the_missing_column()
    {
        await using var node = await QueryNodeAsync([1, "m1", 0.5, 1, null, 7]);
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<RowMappingException>(() => ToListAsync(client.QueryAsync<NeedsMissing>("SELECT ...")));

        Assert.Contains("NeedsMissing.Missing has no matching column", error.Message, StringComparison.Ordinal);
        Assert.Contains("rack_number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text", "Id")]
    [InlineData(null, "is NULL")]
    [InlineData(1.5, "Id")]
    public async Task Typed_query_reports_an_incompatible_cell_with_column_and_member(object? id, string expected)
    {
        await using var node = await QueryNodeAsync([id, "m1", 0.5, 1, null, 7]);
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<RowMappingException>(() => ToListAsync(client.QueryAsync<Machine>("SELECT ...")));

        Assert.Contains("column \"id\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Machine.Id", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Typed_query_refuses_null_for_a_non_nullable_string()
    {
        await using var node = await QueryNodeAsync([1, null, 0.5, 1, null, 7]);
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<RowMappingException>(() => ToListAsync(client.QueryAsync<Machine>("SELECT ...")));

        Assert.Contains("Machine.Name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_a_query_is_retried_on_503_and_on_a_refused_connection()
    {
        var attempts = 0;
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/queries", async (HttpContext c) =>
        {
            if (++attempts <= 2)
            {
                await FakeNode.RefuseAsync(c.Response, 503, new { error = "busy" });
                return;
            }

            await FakeNode.WriteLineAsync(c.Response, new { columns = new[] { "id" } });
            await FakeNode.WriteLineAsync(c.Response, new { row = new object[] { 1, new object[] { 42 } } });
            await FakeNode.WriteLineAsync(c.Response, new { eoq = new { time = 0.0 } });
        }));
        FlakyHandler? flaky = null;
        using var client = node.Client(handler: inner => flaky = new FlakyHandler(inner, failures: 2));

        var rows = await ToListAsync(client.QueryAsync<Narrow>("SELECT 42 AS id"));

        Assert.Equal([new Narrow(42)], rows);
        Assert.Equal(2, flaky!.Failed);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task Reads_give_up_after_the_configured_retries_with_the_server_message()
    {
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/queries", (HttpContext c) =>
            FakeNode.RefuseAsync(c.Response, 503, new { error = "storage busy" })));
        using var client = node.Client(FakeNode.Fast with { MaxAttempts = 2 });

        var error = await Assert.ThrowsAsync<CorrosionException>(() => client.QueryAsync("SELECT 1"));

        Assert.Equal((503, "storage busy"), (error.StatusCode, error.Message));
        Assert.Equal(3, node.Count("POST /v1/queries"));
    }

    [Fact]
    public async Task A_transaction_is_never_retried_on_503()
    {
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/transactions", (HttpContext c) =>
            FakeNode.RefuseAsync(c.Response, 503, new { error = "writer busy" })));
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<CorrosionException>(() => client.ExecuteAsync("INSERT INTO t VALUES (1)"));

        Assert.Equal((503, "writer busy"), (error.StatusCode, error.Message));
        Assert.Equal(1, node.Count("POST /v1/transactions"));
    }

    [Fact]
    public async Task A_transaction_is_never_retried_on_a_refused_connection()
    {
        await using var node = await FakeNode.StartAsync(app => app.MapPost("/v1/transactions", (HttpContext c) =>
            c.Response.WriteAsync("""{"results":[{"rows_affected":1,"time":0}],"time":0,"version":1}""")));
        FlakyHandler? flaky = null;
        using var client = node.Client(handler: inner => flaky = new FlakyHandler(inner, failures: 1));

        var error = await Assert.ThrowsAsync<CorrosionException>(() => client.ExecuteAsync("INSERT INTO t VALUES (1)"));

        Assert.Equal(0, error.StatusCode);
        Assert.Equal(1, flaky!.Failed);
        Assert.Equal(0, node.Count("POST /v1/transactions"));
    }
}
