using System.Net;
using System.Text.Json;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// A whole node on the test server for the subscription API tests; unlike <c>TestNode</c> it can be
/// stopped and started again over the same database and subscription file, as a restart would.
/// </summary>
internal sealed class SubscriptionApiNode : IAsyncDisposable
{
    public const string Schema = """
        CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, qty INTEGER NOT NULL DEFAULT 0, team TEXT);
        CREATE TABLE teams (name TEXT NOT NULL PRIMARY KEY, region TEXT);
        CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, v TEXT, PRIMARY KEY (a, b));
        """;

    private readonly TempDirectory _dir;
    private readonly NodeOptions _options;

    private readonly bool _kestrel;

    private SubscriptionApiNode(TempDirectory dir, NodeOptions options, bool kestrel)
    {
        _dir = dir;
        _options = options;
        _kestrel = kestrel;
    }

    public CorrosionNode Node { get; private set; } = null!;

    public NodeOptions Options => _options;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>
    /// Starts a node; <paramref name="configure"/> adjusts the options (batching is 1 ms by default).
    /// With <paramref name="kestrel"/> the API listens on a loopback port instead of the test server.
    /// </summary>
    public static async Task<SubscriptionApiNode> StartAsync(Action<NodeOptions>? configure = null, string schema = Schema, bool replication = false, bool kestrel = false)
    {
        var dir = new TempDirectory();
        var options = new NodeOptions { EnableReplication = replication };
        options.Db.Path = dir.File("node.db");
        var schemaFile = dir.File("schema.sql");
        await File.WriteAllTextAsync(schemaFile, schema);
        options.Db.SchemaPaths.Add(schemaFile);
        options.Subscriptions = options.Subscriptions with { BatchWindow = TimeSpan.FromMilliseconds(1) };
        configure?.Invoke(options);
        if (kestrel)
        {
            options.Api.Addr = "127.0.0.1:0";
        }

        var node = new SubscriptionApiNode(dir, options, kestrel);
        try
        {
            await node.StartAgainAsync();
        }
        catch
        {
            dir.Dispose();
            throw;
        }

        return node;
    }

    /// <summary>Starts the node (again, after <see cref="StopAsync"/>) on the same files.</summary>
    public async Task StartAgainAsync()
    {
        if (_kestrel)
        {
            Node = await CorrosionNode.StartAsync(_options, NullLoggerFactory.Instance);
            Http = new HttpClient { BaseAddress = Node.ApiAddress };
        }
        else
        {
            Node = await CorrosionNode.StartAsync(_options, NullLoggerFactory.Instance, web => web.UseTestServer());
            Http = Node.Api.GetTestServer().CreateClient();
        }
    }

    /// <summary>Stops the node, keeping its files.</summary>
    public async Task StopAsync()
    {
        Http.Dispose();
        await Node.DisposeAsync();
    }

    /// <summary>Runs statements in one transaction through <c>/v1/transactions</c>.</summary>
    public async Task WriteAsync(params string[] statements)
    {
        var (status, body) = await HttpJson.PostAsync(Http, "/v1/transactions", JsonSerializer.Serialize(statements));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
    }

    public Task<SubscriptionApiStream> SubscribeAsync(string sql, string query = "") =>
        SubscriptionApiStream.PostAsync(Http, "/v1/subscriptions" + query, JsonSerializer.Serialize(sql));

    public Task<SubscriptionApiStream> AttachAsync(string id, string query = "") =>
        SubscriptionApiStream.GetAsync(Http, $"/v1/subscriptions/{id}{query}");

    public Task<SubscriptionApiStream> WatchAsync(string table) =>
        SubscriptionApiStream.PostAsync(Http, $"/v1/updates/{table}", "{}");

    public async ValueTask DisposeAsync()
    {
        try
        {
            Http.Dispose();
            await Node.DisposeAsync();
        }
        finally
        {
            _dir.Dispose();
        }
    }
}
