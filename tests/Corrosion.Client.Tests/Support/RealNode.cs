using System.Globalization;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Client.Tests.Support;

/// <summary>
/// A real node listening on a loopback port (real sockets, so dropped connections are real), with
/// its own temporary database; it can be stopped and started again on the same port and files.
/// </summary>
public sealed class RealNode : IAsyncDisposable
{
    public const string Schema = """
        CREATE TABLE machines (id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL DEFAULT '', rack TEXT, load REAL);
        CREATE TABLE racks (name TEXT NOT NULL PRIMARY KEY, region TEXT);
        """;

    private readonly string _dir;
    private readonly NodeOptions _options;

    private RealNode(string dir, NodeOptions options)
    {
        _dir = dir;
        _options = options;
    }

    public CorrosionNode Node { get; private set; } = null!;

    public Uri Address => Node.ApiAddress;

    public static async Task<RealNode> StartAsync(Action<NodeOptions>? configure = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "corrosion-client-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var options = new NodeOptions { EnableReplication = false };
        options.Db.Path = Path.Combine(dir, "node.db");
        var schema = Path.Combine(dir, "schema.sql");
        await File.WriteAllTextAsync(schema, Schema);
        options.Db.SchemaPaths.Add(schema);
        options.Api.Addr = "127.0.0.1:0";
        options.Subscriptions = options.Subscriptions with { BatchWindow = TimeSpan.FromMilliseconds(1) };
        configure?.Invoke(options);
        var node = new RealNode(dir, options);
        try
        {
            node.Node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }

        // A restart listens on the same port, so clients find it again.
        options.Api.Addr = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{node.Address.Port}");
        return node;
    }

    public CorrosionClient Client(RetryPolicy? retry = null) =>
        new(Address) { ReadRetry = retry ?? new RetryPolicy { MaxAttempts = 30, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(300) } };

    public async Task StopAsync() => await Node.DisposeAsync();

    public async Task StartAgainAsync() => Node = await CorrosionNode.StartAsync(_options, NullLoggerFactory.Instance);

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still closing.
        }
    }
}
