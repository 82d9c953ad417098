using Akka.Actor;
using Akka.Configuration;
using Corrosion.Agent.Node;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// Runs a node inside a .NET host: binds its options when the host starts, starts the node's actors
/// in the host's Akka.Hosting actor system (with the host's logging), and disposes the node gracefully
/// when the host stops. Registered by <see cref="CorrosionServiceCollectionExtensions.AddCorrosionNode"/>
/// (or <see cref="CorrosionServiceCollectionExtensions.AddCorrosionNodeServices"/>) as a singleton, an
/// <see cref="IHostedService"/> and the <see cref="ICorrosionNodeAccessor"/>.
/// </summary>
public sealed partial class CorrosionNodeHost : ICorrosionNodeAccessor, IHostedService, IAsyncDisposable, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly Action<NodeOptions>? _configureNode;
    private readonly Action<CorrosionHostingOptions>? _configureHosting;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly TimeProvider? _time;
    private readonly Func<ActorSystem> _actorSystem;
    private readonly ILogger _log;
    private readonly TaskCompletionSource<CorrosionNode> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CorrosionNode? _node;
    private volatile bool _stopping;
    private volatile bool _stopped;
    private int _disposed;

    /// <summary>Creates the host of a node (done by <c>AddCorrosionNode</c>).</summary>
    /// <param name="configuration">The service's configuration (a root or a section), layered over reference.conf.</param>
    /// <param name="configureNode">Changes the bound options before the node starts, or null.</param>
    /// <param name="configureHosting">Changes the <c>embedded</c> options, or null.</param>
    /// <param name="loggerFactory">The host's logging.</param>
    /// <param name="actorSystem">The host's actor system (Akka.Hosting's), resolved when the node starts.</param>
    /// <param name="lifetime">The host's lifetime, stopped when the node fails; null to never stop it.</param>
    /// <param name="time">The node's clock; null for the system clock.</param>
    public CorrosionNodeHost(
        IConfiguration configuration,
        Action<NodeOptions>? configureNode,
        Action<CorrosionHostingOptions>? configureHosting,
        ILoggerFactory loggerFactory,
        Func<ActorSystem> actorSystem,
        IHostApplicationLifetime? lifetime = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(actorSystem);
        _actorSystem = actorSystem;
        _configuration = configuration;
        _configureNode = configureNode;
        _configureHosting = configureHosting;
        _loggerFactory = loggerFactory;
        _lifetime = lifetime;
        _time = time;
        _log = loggerFactory.CreateLogger<CorrosionNodeHost>();
        Client = new LocalCorrosionClient(this);
    }

    /// <inheritdoc />
    public CorrosionNode? Node => _stopped ? null : Volatile.Read(ref _node);

    /// <inheritdoc />
    public LocalCorrosionClient Client { get; }

    /// <summary>The <c>embedded</c> options the node was started with (null before start).</summary>
    public CorrosionHostingOptions? HostingOptions { get; private set; }

    /// <inheritdoc />
    public async Task<CorrosionNode> GetNodeAsync(CancellationToken cancellationToken = default)
    {
        CorrosionNode node;
        try
        {
            node = await _started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not InvalidOperationException)
        {
            throw new InvalidOperationException($"the embedded Corrosion node failed to start: {e.Message}", e);
        }

        return _stopped ? throw new InvalidOperationException("the embedded Corrosion node has stopped") : node;
    }

    /// <inheritdoc />
    public async Task<NodeActors> GetActorsAsync(CancellationToken cancellationToken = default) =>
        (await GetNodeAsync(cancellationToken).ConfigureAwait(false)).Actors;

    /// <summary>
    /// The node's <c>akka</c> section (mailboxes, logger, scheduler), from the service's configuration
    /// layered over reference.conf: <see cref="AkkaHostingExtensions.WithCorrosionNode"/> gives it to the
    /// host's actor system as a fallback to the host's own settings.
    /// </summary>
    /// <returns>Akka's configuration of the node's settings.</returns>
    public Config NodeAkkaSettings()
    {
        try
        {
            return Corrosion.Agent.Node.AkkaSettings.Parse(EmbeddedNodeConfiguration.Build(_configuration));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The actor system is built while the host resolves its services, where an exception leaves
            // the host unable even to stop; the node's own start reports the error (file, line, key).
            return Corrosion.Agent.Node.AkkaSettings.ReferenceSection;
        }
    }

    /// <summary>Binds the options and starts the node in the host's actor system.</summary>
    /// <exception cref="ConfigurationException">the configuration is unusable; the message names the key.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_node is not null || _stopped)
            {
                throw new InvalidOperationException("an embedded Corrosion node starts once per host");
            }

            CorrosionNode node;
            try
            {
                var options = EmbeddedNodeConfiguration.LoadNodeOptions(_configuration, _configureNode);
                var hosting = EmbeddedNodeConfiguration.LoadHostingOptions(_configuration, _configureHosting);
                HostingOptions = hosting;
                Action<IWebHostBuilder>? web = hosting.HttpApi
                    ? null
                    : builder => builder.ConfigureServices(services => services.AddSingleton<IServer, NoHttpServer>());
                node = await CorrosionNode.StartAsync(options, _loggerFactory, _actorSystem(), web, _time).ConfigureAwait(false);
                LogStarted(_log, node.ActorId, hosting.HttpApi ? node.ApiAddress.ToString() : "off (in-process only)");
            }
            catch (Exception e)
            {
                _started.TrySetException(e);
                throw;
            }

            Volatile.Write(ref _node, node);
            _started.TrySetResult(node);
            _ = WatchTerminationAsync(node);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the node: the API, the actors, then the store. Waits for all of it, whatever the token says, so the database closes cleanly.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await StopNodeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the node if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        // The container disposes the instance once per registration that hands it out.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopNodeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>Stops the node if it still runs (blocking; prefer <see cref="DisposeAsync"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task StopNodeAsync()
    {
        _stopping = true;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _started.TrySetException(new InvalidOperationException("the host stopped before the embedded Corrosion node started"));
            if (Volatile.Read(ref _node) is { } node)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task WatchTerminationAsync(CorrosionNode node)
    {
        var cause = await node.WhenTerminated.ConfigureAwait(false);
        if (_stopping)
        {
            return;
        }

        // The supervisor gave up (a child kept failing), or the actor system was stopped under the
        // node: the service has no node any more.
        LogTerminated(_log, node.ActorId, cause?.Message ?? "the actor system stopped", cause);
        if (HostingOptions?.StopHostOnFailure == true && _lifetime is not null)
        {
            _lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "embedded Corrosion node {ActorId} started; HTTP API: {Api}")]
    private static partial void LogStarted(ILogger logger, Storage.ActorId actorId, string api);

    [LoggerMessage(Level = LogLevel.Critical, Message = "embedded Corrosion node {ActorId} stopped after a failure: {Cause}")]
    private static partial void LogTerminated(ILogger logger, Storage.ActorId actorId, string cause, Exception? exception);
}
