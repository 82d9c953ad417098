using Corrosion.Agent.Hosting;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Corrosion.Agent.Tests.Hosting;

public sealed class EmbeddedNodeTests
{
    private static Statement Insert(string id, string region) =>
        new("INSERT INTO machines (id, region) VALUES (?, ?)", [SqlValue.FromText(id), SqlValue.FromText(region)]);

    private static async Task<List<LocalRow>> ReadAll(LocalCorrosionClient client, string sql)
    {
        var rows = new List<LocalRow>();
        await foreach (var row in client.QueryAsync(new Statement(sql)))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static List<string> StoreIds(CorrosionNode node)
    {
        using var result = node.Store.Query(new Statement("SELECT id FROM machines ORDER BY id"));
        return result.Rows.Select(r => r.Cells[0].AsText).ToList();
    }

    [Fact]
    public async Task Writes_and_queries_through_the_local_client_are_the_node_store_data()
    {
        await using var host = await EmbeddedHost.StartAsync();

        var result = await host.Client.ExecuteAsync([Insert("m1", "ams"), Insert("m2", "cdg")]);

        Assert.Equal(1, result.Version);
        Assert.Equal([1L, 1L], result.Results.Select(r => r.RowsAffected));
        var rows = await ReadAll(host.Client, "SELECT id, region FROM machines ORDER BY id");
        Assert.Equal(["id", "region"], rows[0].Columns);
        Assert.Equal(["m1:ams", "m2:cdg"], rows.Select(r => $"{r["id"].AsText}:{r[1].AsText}"));
        Assert.Equal(["m1", "m2"], StoreIds(host.Node));
    }

    [Fact]
    public async Task A_failed_transaction_throws_the_store_error_and_applies_nothing()
    {
        await using var host = await EmbeddedHost.StartAsync();

        var error = await Assert.ThrowsAsync<TransactionFailedException>(() =>
            host.Client.ExecuteAsync([Insert("m1", "ams"), new Statement("INSERT INTO no_such_table VALUES (1)")]));

        Assert.Equal(1, error.StatementIndex);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was applied", error.Message, StringComparison.Ordinal);
        Assert.Empty(StoreIds(host.Node));
    }

    [Fact]
    public async Task A_query_that_would_write_is_refused()
    {
        await using var host = await EmbeddedHost.StartAsync();

        await Assert.ThrowsAsync<NotReadOnlyException>(() => ReadAll(host.Client, "DELETE FROM machines"));
    }

    [Fact]
    public async Task Actors_from_the_accessor_take_storage_messages()
    {
        await using var host = await EmbeddedHost.StartAsync();
        await host.Client.ExecuteAsync(Insert("m1", "ams"));

        var actors = await host.Accessor.GetActorsAsync();
        var state = await actors.Storage.Ask<SyncState>(reply => new ReadSyncState(reply), TimeSpan.FromSeconds(10));

        Assert.Equal(host.Node.ActorId, state.Actor);
        Assert.Equal(1, state.Heads[host.Node.ActorId]);
    }

    [Fact]
    public async Task Keys_the_service_leaves_unset_keep_the_reference_defaults()
    {
        await using var host = await EmbeddedHost.StartAsync(new Dictionary<string, string?> { ["db:read_pool_size"] = "2" });

        var options = host.Node.Options;
        Assert.Equal(2, options.Db.ReadPoolSize);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Api.DefaultTimeout);
        Assert.Equal(8 * 1024 * 1024, options.Api.MaxBodySize.Bytes);
        Assert.Equal("NORMAL", options.Db.Synchronous);
    }

    [Fact]
    public async Task A_hocon_section_of_the_service_configuration_configures_the_node()
    {
        using var dir = new TempDirectory();
        var file = dir.File("service.conf");
        await File.WriteAllTextAsync(file, $$"""
            corrosion {
              db.path = "{{dir.File("hocon.db").Replace("\\", "\\\\", StringComparison.Ordinal)}}"
              api { addr = "127.0.0.1:0", default_timeout = 5s }
              gossip.addr = "127.0.0.1:0"
            }
            """);
        await using var host = EmbeddedHost.Build(
            dir: dir,
            configureConfiguration: c => c.AddHoconFile(file),
            nodeSection: c => c.GetSection("corrosion"));

        await host.Host.StartAsync();

        Assert.Equal(dir.File("hocon.db"), host.Node.Options.Db.Path);
        Assert.Equal(TimeSpan.FromSeconds(5), host.Node.Options.Api.DefaultTimeout);
        Assert.Equal(4, host.Node.Options.Db.ReadPoolSize);
    }

    [Fact]
    public async Task A_json_section_of_the_service_configuration_configures_the_node()
    {
        using var dir = new TempDirectory();
        var schema = dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, "CREATE TABLE things (id INTEGER NOT NULL PRIMARY KEY, name TEXT);");
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Corrosion"] = new Dictionary<string, object>
            {
                ["db"] = new Dictionary<string, object> { ["path"] = dir.File("json.db"), ["schema_paths"] = new[] { schema } },
                ["api"] = new Dictionary<string, object> { ["addr"] = "127.0.0.1:0" },
                ["gossip"] = new Dictionary<string, object> { ["addr"] = "127.0.0.1:0" },
                ["embedded"] = new Dictionary<string, object> { ["http_api"] = false },
            },
        });
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        await using var host = EmbeddedHost.Build(
            dir: dir,
            configureConfiguration: c => c.AddJsonStream(stream),
            nodeSection: c => c.GetSection("Corrosion"));

        await host.Host.StartAsync();

        Assert.Equal(dir.File("json.db"), host.Node.Options.Db.Path);
        Assert.Equal(["things"], host.Node.Store.Tables);
        Assert.False(host.Host.Services.GetRequiredService<CorrosionNodeHost>().HostingOptions!.HttpApi);
        Assert.Equal(TimeSpan.FromSeconds(30), host.Node.Options.Api.DefaultTimeout);
    }

    [Fact]
    public async Task A_bad_value_fails_the_host_start_with_the_key_and_the_file_that_set_it()
    {
        using var dir = new TempDirectory();
        var file = dir.File("bad.conf");
        await File.WriteAllTextAsync(file, "api.addr = \"not an address\"\n");
        await using var host = EmbeddedHost.Build(dir: dir, configureConfiguration: c => c.AddHoconFile(file));

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => host.Host.StartAsync());

        Assert.Contains("api.addr", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.conf:1", error.Message, StringComparison.Ordinal);
        var wait = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Accessor.GetNodeAsync());
        Assert.IsType<ConfigurationException>(wait.InnerException);
    }

    [Fact]
    public async Task A_bad_value_in_a_configuration_section_names_the_section_and_the_key()
    {
        await using var host = EmbeddedHost.Build(
            configureConfiguration: c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["Corrosion:db:read_pool_size"] = "0" }),
            nodeSection: c => c.GetSection("Corrosion"));

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => host.Host.StartAsync());

        Assert.Contains("db.read_pool_size", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Corrosion'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_fails_the_host_start_naming_the_key()
    {
        await using var host = EmbeddedHost.Build(new Dictionary<string, string?> { ["api:default_timeout"] = "soon" });

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => host.Host.StartAsync());

        Assert.Contains("api:default_timeout", error.Message.Replace('.', ':'), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_value_set_in_code_fails_the_host_start_naming_the_key()
    {
        await using var host = EmbeddedHost.Build(configure: o => o.Db.ReadPoolSize = 0);

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => host.Host.StartAsync());

        Assert.Contains("db.read_pool_size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_accessor_waits_until_the_node_has_started()
    {
        await using var host = EmbeddedHost.Build();
        var waiting = host.Accessor.GetNodeAsync();
        Assert.False(waiting.IsCompleted);
        Assert.Null(host.Accessor.Node);

        await host.Host.StartAsync();

        var node = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Same(host.Accessor.Node, node);
    }

    [Fact]
    public async Task Stopping_the_host_closes_the_node_and_a_new_host_on_the_same_database_sees_its_data()
    {
        using var dir = new TempDirectory();
        ActorId first;
        var host = await EmbeddedHost.StartAsync(dir: dir);
        try
        {
            await host.Client.ExecuteAsync(Insert("m1", "ams"));
            first = host.Node.ActorId;
            await host.Host.StopAsync();

            Assert.Null(host.Accessor.Node);
            await Assert.ThrowsAsync<InvalidOperationException>(() => host.Accessor.GetNodeAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.ExecuteAsync(Insert("m2", "cdg")));
        }
        finally
        {
            await host.DisposeAsync();
        }

        await using var again = await EmbeddedHost.StartAsync(dir: dir);
        Assert.Equal(first, again.Node.ActorId);
        var rows = await ReadAll(again.Client, "SELECT id, region FROM machines");
        Assert.Equal(["m1"], rows.Select(r => r["id"].AsText));
    }

    [Fact]
    public async Task The_http_api_listens_on_api_addr_by_default()
    {
        await using var host = await EmbeddedHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.Node.ApiAddress };

        using var response = await http.GetAsync(new Uri("/v1/health", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("127.0.0.1", host.Node.ApiAddress.Host);
    }

    [Fact]
    public async Task With_embedded_http_api_off_no_socket_is_opened_and_the_local_client_still_works()
    {
        await using var host = await EmbeddedHost.StartAsync(new Dictionary<string, string?> { ["embedded:http_api"] = "false" });

        Assert.Throws<InvalidOperationException>(() => host.Node.ApiAddress);
        await host.Client.ExecuteAsync(Insert("m1", "ams"));
        Assert.Single(await ReadAll(host.Client, "SELECT * FROM machines"));
    }

    [Fact]
    public async Task The_hosting_callback_overrides_the_embedded_section()
    {
        await using var host = await EmbeddedHost.StartAsync(configureHosting: o => o.HttpApi = false);

        Assert.Throws<InvalidOperationException>(() => host.Node.ApiAddress);
        Assert.False(host.Host.Services.GetRequiredService<CorrosionNodeHost>().HostingOptions!.HttpApi);
    }

    [Fact]
    public async Task The_service_is_stopped_when_the_node_actors_stop_on_their_own()
    {
        await using var host = await EmbeddedHost.StartAsync();
        var lifetime = host.Host.Services.GetRequiredService<IHostApplicationLifetime>();

        await host.Node.System.Terminate();

        await Wait.UntilAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, "the host to be asked to stop");
    }

    [Fact]
    public void A_service_collection_embeds_one_node()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();
        services.AddCorrosionNode(configuration);

        Assert.Throws<InvalidOperationException>(() => services.AddCorrosionNode(configuration));
    }

    [Fact]
    public async Task The_host_service_the_accessor_and_the_client_are_one_registration()
    {
        await using var host = EmbeddedHost.Build();

        var nodeHost = host.Host.Services.GetRequiredService<CorrosionNodeHost>();
        Assert.Same(nodeHost, host.Accessor);
        Assert.Contains(nodeHost, host.Host.Services.GetServices<IHostedService>());
        Assert.Same(nodeHost.Client, host.Client);
    }
}
