using Corrosion.Agent.Hosting;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Corrosion.Agent.Tests.Hosting;

/// <summary>
/// Builds a generic host that embeds a node with <c>AddCorrosionNode</c>: a temporary database,
/// the API and SWIM on free loopback ports, replication off unless asked for.
/// </summary>
public sealed class EmbeddedHost : IAsyncDisposable
{
    private readonly TempDirectory? _ownedDirectory;

    private EmbeddedHost(IHost host, TempDirectory? ownedDirectory)
    {
        Host = host;
        _ownedDirectory = ownedDirectory;
    }

    public IHost Host { get; }

    public ICorrosionNodeAccessor Accessor => Host.Services.GetRequiredService<ICorrosionNodeAccessor>();

    public LocalCorrosionClient Client => Host.Services.GetRequiredService<LocalCorrosionClient>();

    public CorrosionNode Node => Accessor.Node ?? throw new InvalidOperationException("the node is not running");

    /// <summary>Settings every test host needs (free ports, a database in <paramref name="dir"/>).</summary>
    public static Dictionary<string, string?> BaseSettings(TempDirectory dir) => new()
    {
        ["db:path"] = dir.File("node.db"),
        ["api:addr"] = "127.0.0.1:0",
        ["gossip:addr"] = "127.0.0.1:0",
    };

    /// <summary>Builds (not starts) a host over in-memory settings, with <paramref name="dir"/> or a fresh directory.</summary>
    public static EmbeddedHost Build(
        IDictionary<string, string?>? settings = null,
        TempDirectory? dir = null,
        Action<ConfigurationManager>? configureConfiguration = null,
        Func<IConfiguration, IConfiguration>? nodeSection = null,
        Action<NodeOptions>? configure = null,
        Action<CorrosionHostingOptions>? configureHosting = null)
    {
        var owned = dir is null ? new TempDirectory() : null;
        var directory = dir ?? owned!;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var values = BaseSettings(directory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        if (nodeSection is null)
        {
            builder.Configuration.AddInMemoryCollection(values);
        }

        configureConfiguration?.Invoke(builder.Configuration);
        var configuration = nodeSection?.Invoke(builder.Configuration) ?? builder.Configuration;
        builder.Services.AddCorrosionNode(
            configuration,
            options =>
            {
                options.EnableReplication = false;
                configure?.Invoke(options);
            },
            configureHosting);
        return new EmbeddedHost(builder.Build(), owned);
    }

    /// <summary>Builds and starts a host.</summary>
    public static async Task<EmbeddedHost> StartAsync(
        IDictionary<string, string?>? settings = null,
        TempDirectory? dir = null,
        Action<CorrosionHostingOptions>? configureHosting = null)
    {
        var host = Build(settings, dir, configureHosting: configureHosting);
        try
        {
            await host.Host.StartAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await Host.StopAsync(stop.Token);
        }

        if (Host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }

        _ownedDirectory?.Dispose();
    }
}
