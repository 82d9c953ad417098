using Akka.Actor;
using Akka.Hosting;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Hosting;

/// <summary>Runs a Corrosion node inside a service built on <c>Microsoft.Extensions.Hosting</c>.</summary>
public static class CorrosionServiceCollectionExtensions
{
    /// <summary>
    /// Adds a node that starts and stops with the host, in an actor system of its own (named
    /// <c>corrosion</c>, run by Akka.Hosting). Its options are bound when the host starts, from
    /// <paramref name="configuration"/> layered over the embedded reference.conf (so keys the service
    /// does not set keep their defaults); a bad value fails the host's start with
    /// <see cref="ConfigurationException"/> naming the key. Registers <see cref="CorrosionNodeHost"/>
    /// (also as <see cref="ICorrosionNodeAccessor"/> and as a hosted service) and
    /// <see cref="LocalCorrosionClient"/>, all singletons; the node's actors are in Akka.Hosting's
    /// registry (<c>IRequiredActor&lt;StorageActor&gt;</c>…). A service that already runs Akka.Hosting
    /// puts the node into its own actor system instead: <see cref="AddCorrosionNodeServices"/> plus
    /// <see cref="AkkaHostingExtensions.WithCorrosionNode"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The node's configuration: a root, or a section such as <c>Configuration.GetSection("Corrosion")</c>, with the keys of reference.conf (<c>db:path</c>, <c>api:addr</c>, <c>embedded:http_api</c>, <c>akka:loglevel</c>…).</param>
    /// <param name="configure">Changes the bound options in code before the node starts, or null.</param>
    /// <param name="configureHosting">Changes the <c>embedded</c> options (HTTP API on or off…), or null.</param>
    /// <exception cref="InvalidOperationException">a node was already added to this collection.</exception>
    public static IServiceCollection AddCorrosionNode(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<NodeOptions>? configure = null,
        Action<CorrosionHostingOptions>? configureHosting = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(CorrosionNodeHost)))
        {
            throw new InvalidOperationException("a Corrosion node is already added to this service collection; a service embeds one node");
        }

        // The actor system first: hosted services stop in reverse order, so the node stops before it.
        services.AddAkka(CorrosionNode.SystemName, (akka, provider) => akka.WithCorrosionNode(provider));
        return services.AddCorrosionNodeServices(configuration, configure, configureHosting);
    }

    /// <summary>
    /// Adds a node that starts and stops with the host, in the host's own Akka.Hosting actor system:
    /// the same registrations as <see cref="AddCorrosionNode"/> without an actor system of the node's.
    /// The service's <c>AddAkka</c> must call <see cref="AkkaHostingExtensions.WithCorrosionNode"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The node's configuration (see <see cref="AddCorrosionNode"/>).</param>
    /// <param name="configure">Changes the bound options in code before the node starts, or null.</param>
    /// <param name="configureHosting">Changes the <c>embedded</c> options, or null.</param>
    /// <exception cref="InvalidOperationException">a node was already added to this collection.</exception>
    public static IServiceCollection AddCorrosionNodeServices(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<NodeOptions>? configure = null,
        Action<CorrosionHostingOptions>? configureHosting = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(CorrosionNodeHost)))
        {
            throw new InvalidOperationException("a Corrosion node is already added to this service collection; a service embeds one node");
        }

        services.AddSingleton(provider => new CorrosionNodeHost(
            HostConfigurationSection.Wrap(configuration, provider.GetService<IConfiguration>()),
            configure,
            configureHosting,
            provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            provider.GetRequiredService<ActorSystem>,
            provider.GetService<IHostApplicationLifetime>(),
            provider.GetService<TimeProvider>()));
        services.AddSingleton<ICorrosionNodeAccessor>(provider => provider.GetRequiredService<CorrosionNodeHost>());
        services.AddHostedService(provider => provider.GetRequiredService<CorrosionNodeHost>());
        services.AddSingleton(provider => provider.GetRequiredService<CorrosionNodeHost>().Client);
        return services;
    }
}
