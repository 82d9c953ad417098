using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Api;

/// <summary>A node on the ASP.NET test server with its own temporary database.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly TempDirectory _dir;

    private TestNode(TempDirectory dir, CorrosionNode node)
    {
        _dir = dir;
        Node = node;
        Options = node.Options;
        Http = node.Api.GetTestServer().CreateClient();
    }

    public CorrosionNode Node { get; }

    public HttpClient Http { get; }

    private NodeOptions Options { get; }

    /// <summary>
    /// Stops the node and starts it again over the same database (as a process restart would).
    /// Dispose only the node returned; it owns the directory now.
    /// </summary>
    public async Task<TestNode> RestartAsync()
    {
        Http.Dispose();
        await Node.DisposeAsync();
        var node = await CorrosionNode.StartAsync(Options, NullLoggerFactory.Instance, web => web.UseTestServer());
        return new TestNode(_dir, node);
    }

    public static Task<TestNode> StartAsync(Action<NodeOptions>? configure = null, string? schema = null)
    {
        var dir = new TempDirectory();
        var options = new NodeOptions();
        options.Db.Path = dir.File("node.db");
        if (schema is not null)
        {
            var schemaFile = dir.File("schema.sql");
            File.WriteAllText(schemaFile, schema);
            options.Db.SchemaPaths.Add(schemaFile);
        }

        configure?.Invoke(options);
        return StartAsync(dir, options);
    }

    private static async Task<TestNode> StartAsync(TempDirectory dir, NodeOptions options)
    {
        try
        {
            var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance, web => web.UseTestServer());
            return new TestNode(dir, node);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Node.DisposeAsync();
        _dir.Dispose();
    }
}
