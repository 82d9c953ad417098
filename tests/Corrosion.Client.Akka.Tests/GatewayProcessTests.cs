using Akka.Hosting;
using Corrosion.Client.Akka.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Corrosion.Client.Akka.Tests.Support;

namespace Corrosion.Client.Akka.Tests;

/// <summary>A real <c>corrosion agent</c> with <c>akka_api.enabled</c>, and a client actor system in the test, over Akka.Remote on loopback.</summary>
public sealed class GatewayProcessTests : IClassFixture<SharedAgent>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly SharedAgent _node;
    private ClientSystem _client = null!;

    public GatewayProcessTests(SharedAgent node) => _node = node;

    private CorrosionAkkaClient Client => _client.Client;

    public Task InitializeAsync()
    {
        _client = ClientSystem.Start(_node.Agent.AkkaAddress);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    [Fact]
    public async Task Execute_returns_the_version_and_the_row_is_read_back_by_a_query()
    {
        var result = await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "exec-1", "ams");

        Assert.Equal([1L], result.RowsAffected);
        Assert.NotNull(result.Version);
        var rows = await Client.QueryAsync("SELECT id, region FROM machines WHERE id = ?", "exec-1").ToListAsync();
        var row = Assert.Single(rows);
        Assert.Equal(["id", "region"], row.Columns);
        Assert.Equal("ams", row["region"].Text);
    }

    [Fact]
    public async Task A_query_of_ten_thousand_rows_arrives_whole_and_in_order_through_acknowledged_chunks()
    {
        await Client.ExecuteAsync([new SqlStatement("""
            INSERT INTO machines (id, region)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
            SELECT printf('bulk-%05d', i), 'bulk' FROM n
            """)]);

        var ids = new List<string>();
        await foreach (var row in Client.QueryAsync("SELECT id FROM machines WHERE region = 'bulk' ORDER BY id"))
        {
            ids.Add(row.Cells[0].Text!);
        }

        Assert.Equal(10_000, ids.Count);
        Assert.Equal("bulk-00001", ids[0]);
        Assert.Equal("bulk-10000", ids[^1]);
    }

    [Fact]
    public async Task An_endless_recursive_query_ends_after_api_max_query_rows_with_an_error_naming_it()
    {
        var rows = 0L;
        var error = await Assert.ThrowsAsync<CorrosionAkkaException>(async () =>
        {
            await foreach (var row in Client.QueryAsync("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"))
            {
                rows = row.Cells[0].Integer;
            }
        });

        Assert.Equal(ClientErrorCode.BadRequest, error.Code);
        Assert.Contains("api.max_query_rows", error.Message, StringComparison.Ordinal);
        Assert.Equal(20_000, rows);
    }

    [Fact]
    public async Task A_failing_statement_is_named_and_nothing_of_the_transaction_is_applied()
    {
        var error = await Assert.ThrowsAsync<CorrosionAkkaException>(() => Client.ExecuteAsync(
        [
            SqlStatement.Of("INSERT INTO machines (id, region) VALUES (?, ?)", "atomic-1", "ams"),
            SqlStatement.Of("INSERT INTO nowhere VALUES (1)"),
        ]));

        Assert.Equal(ClientErrorCode.BadRequest, error.Code);
        Assert.Equal(1, error.Error.StatementIndex);
        Assert.StartsWith("statement 1: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("no such table", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was applied", error.Message, StringComparison.Ordinal);
        Assert.Empty(await Client.QueryAsync("SELECT id FROM machines WHERE id = ?", "atomic-1").ToListAsync());
    }

    [Fact]
    public async Task A_query_that_writes_is_refused()
    {
        var error = await Assert.ThrowsAsync<CorrosionAkkaException>(async () =>
            await Client.QueryAsync("DELETE FROM machines").ToListAsync());

        Assert.Equal(ClientErrorCode.BadRequest, error.Code);
    }

    [Fact]
    public async Task A_subscription_yields_rows_then_end_of_query_then_a_change_written_over_http()
    {
        await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "sub-1", "sub-region");
        await using var subscription = await Client.SubscribeAsync(SqlStatement.Of("SELECT id, state FROM machines WHERE region = ?", "sub-region"));
        using var cts = new CancellationTokenSource(Deadline);
        await using var events = subscription.GetAsyncEnumerator(cts.Token);

        Assert.True(await events.MoveNextAsync());
        var row = Assert.IsType<RowEvent>(events.Current);
        Assert.Equal("sub-1", row.Cells[0].Text);
        Assert.True(await events.MoveNextAsync());
        var eoq = Assert.IsType<EndOfQueryEvent>(events.Current);

        await Http.ExecuteAsync(_node.Agent.ApiAddress, "INSERT INTO machines (id, region) VALUES (?, ?)", "sub-2", "sub-region");

        Assert.True(await events.MoveNextAsync());
        var change = Assert.IsType<ChangeEvent>(events.Current);
        Assert.Equal(ClientChangeKind.Insert, change.Kind);
        Assert.Equal("sub-2", change.Cells[0].Text);
        Assert.Equal(eoq.ChangeId + 1, change.ChangeId);
        Assert.Equal(["id", "state"], subscription.Columns);
    }

    [Fact]
    public async Task Resuming_from_a_change_id_yields_exactly_the_changes_after_it()
    {
        long eoqId;
        string queryId;
        await using (var first = await Client.SubscribeAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "resume-region")))
        {
            queryId = first.QueryId;
            eoqId = await FirstEndOfQueryAsync(first);
        }

        await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "resume-1", "resume-region");
        await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "resume-2", "resume-region");

        await using var resumed = await Client.ResumeAsync(queryId, eoqId);
        using var cts = new CancellationTokenSource(Deadline);
        var changes = new List<ChangeEvent>();
        await foreach (var e in resumed.WithCancellation(cts.Token))
        {
            changes.Add(Assert.IsType<ChangeEvent>(e));
            if (changes.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([eoqId + 1, eoqId + 2], changes.Select(c => c.ChangeId));
        Assert.Equal(["resume-1", "resume-2"], changes.Select(c => c.Cells[0].Text));
    }

    [Fact]
    public async Task Resuming_an_unknown_subscription_is_an_explicit_not_found()
    {
        var error = await Assert.ThrowsAsync<CorrosionAkkaException>(() => Client.ResumeAsync("no-such-subscription", 1));

        Assert.Equal(ClientErrorCode.NotFound, error.Code);
    }

    [Fact]
    public async Task Resuming_from_a_change_id_no_longer_kept_is_an_explicit_expiry()
    {
        long eoqId;
        string queryId;
        await using (var first = await Client.SubscribeAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "expire-region")))
        {
            queryId = first.QueryId;
            eoqId = await FirstEndOfQueryAsync(first);
        }

        // The shared agent keeps 3 changes per subscription.
        for (var i = 0; i < 6; i++)
        {
            await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"expire-{i}", "expire-region");
        }

        var error = await WaitForAsync(async () =>
        {
            try
            {
                await using var resumed = await Client.ResumeAsync(queryId, eoqId);
                return null;
            }
            catch (CorrosionAkkaException e)
            {
                return e;
            }
        });

        Assert.Equal(ClientErrorCode.ChangeIdExpired, error.Code);
        Assert.NotNull(error.Error.OldestChangeId);
    }

    [Fact]
    public async Task Watching_a_table_yields_the_primary_keys_of_changed_rows()
    {
        using var cts = new CancellationTokenSource(Deadline);
        await using var updates = Client.WatchAsync("machines", cts.Token).GetAsyncEnumerator(cts.Token);
        var first = updates.MoveNextAsync().AsTask();
        // The watch opens with the first MoveNext; write until it reports (writes before it opened are not reported).
        for (var i = 0; !first.IsCompleted; i++)
        {
            await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"watch-{i}", "watch");
            await Task.WhenAny(first, Task.Delay(500, cts.Token));
        }

        Assert.True(await first);
        Assert.False(updates.Current.Deleted);
        Assert.StartsWith("watch-", updates.Current.Pk[0].Text, StringComparison.Ordinal);

        await Client.ExecuteAsync("DELETE FROM machines WHERE id = ?", updates.Current.Pk[0].Text);
        ClientKeyUpdate? deleted = null;
        while (deleted is null && await updates.MoveNextAsync())
        {
            deleted = updates.Current.Deleted ? updates.Current : null;
        }

        Assert.NotNull(deleted);
    }

    [Fact]
    public async Task Health_and_members_answer_over_akka()
    {
        var health = await Client.HealthAsync();
        var members = await Client.MembersAsync();

        Assert.Equal(1, health.Members);
        Assert.True(Assert.Single(members).Self);
        Assert.Equal(health.ActorId, members[0].Id);
    }

    [Fact]
    public async Task A_message_outside_the_protocol_is_refused_on_arrival_and_logged_and_the_node_serves_on()
    {
        // A system without strict serialization would send this with Newtonsoft's type names.
        await using var loose = ClientSystem.Start(_node.Agent.AkkaAddress, strict: false);
        var gateway = await loose.System.ActorSelection(_node.Agent.AkkaAddress).ResolveOne(Deadline);

        gateway.Tell(new NotAProtocolMessage("rm -rf /"), global::Akka.Actor.ActorRefs.NoSender);

        Assert.True(await _node.Agent.WaitForOutputAsync("refused a message sent with the JSON (Newtonsoft) serializer", Deadline), _node.Agent.Output);
        Assert.DoesNotContain("rm -rf", _node.Agent.Output, StringComparison.Ordinal);
        var result = await Client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "after-refusal", "ams");
        Assert.NotNull(result.Version);
    }

    [Fact]
    public async Task A_strict_client_refuses_to_send_a_message_outside_the_protocol()
    {
        var (probe, received) = _client.Recorder("strict-probe");
        var gateway = await _client.System.ActorSelection(_node.Agent.AkkaAddress).ResolveOne(Deadline);

        gateway.Tell(new NotAProtocolMessage("hello"), probe);
        // The same gateway still answers a protocol request from the same system.
        gateway.Tell(new GetHealth(null), probe);

        var health = await received.NextAsync<HealthResult>(Deadline);
        Assert.NotNull(health);
        Assert.False(received.TryRead(out var other), $"unexpected {other.Message}");
    }

    [Fact]
    public async Task WithCorrosionClient_gives_a_hosted_actor_system_an_injectable_client()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddAkka("hosted-client", akka => akka.WithCorrosionClient(o => o.Nodes.Add(_node.Agent.AkkaAddress)));
        builder.Services.AddCorrosionAkkaClient();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<CorrosionAkkaClient>();

            var result = await client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "hosted-1", "ams");

            Assert.NotNull(result.Version);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<long> FirstEndOfQueryAsync(AkkaSubscription subscription)
    {
        using var cts = new CancellationTokenSource(Deadline);
        await foreach (var e in subscription.WithCancellation(cts.Token))
        {
            if (e is EndOfQueryEvent eoq)
            {
                return eoq.ChangeId;
            }
        }

        throw new InvalidOperationException("no end of query");
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> attempt)
        where T : class
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            if (await attempt() is { } done)
            {
                return done;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("condition not met in time");
            }

            await Task.Delay(200);
        }
    }

    public sealed record NotAProtocolMessage(string Command);
}
