using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Corrosion.Client.Akka.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Corrosion.Client.Akka;

/// <summary>Akka.Hosting support: a service's own actor system gets a <see cref="CorrosionAkkaClient"/>.</summary>
public static class CorrosionClientHostingExtensions
{
    private static readonly ConditionalWeakTable<ActorSystem, CorrosionAkkaClient> Clients = new();

    /// <summary>
    /// Adds the client protocol's serializer (strict by default: no type without a registered serializer
    /// crosses the network), Akka.Remote defaults (loopback, a free port; <c>WithRemoting</c> overrides
    /// them) and, once the system has started, a <see cref="CorrosionAkkaClient"/> of the configured nodes:
    /// get it with <see cref="CorrosionAkkaClientFor"/> or inject it after <see cref="AddCorrosionAkkaClient"/>.
    /// </summary>
    /// <param name="builder">The service's Akka.Hosting builder.</param>
    /// <param name="configure">Sets the nodes, the token and the timeouts.</param>
    /// <param name="strict">False keeps Akka's default serializer for the service's other remote messages.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithCorrosionClient(this AkkaConfigurationBuilder builder, Action<CorrosionAkkaClientOptions> configure, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new CorrosionAkkaClientOptions();
        configure(options);
        if (options.Nodes.Count == 0)
        {
            throw new ArgumentException("WithCorrosionClient needs at least one node (akka.tcp://corrosion@host:port)", nameof(configure));
        }

        builder.AddHocon(strict ? ClientProtocolConfig.Strict : ClientProtocolConfig.Serialization, HoconAddMode.Prepend);
        builder.AddHocon(ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            """), HoconAddMode.Append);
        builder.AddStartup((system, _) => Clients.AddOrUpdate(system, new CorrosionAkkaClient(system, options)));
        return builder;
    }

    /// <summary>The client <see cref="WithCorrosionClient"/> made for <paramref name="system"/>.</summary>
    /// <exception cref="InvalidOperationException">the system was not built with <c>WithCorrosionClient</c>.</exception>
    public static CorrosionAkkaClient CorrosionAkkaClientFor(this ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Clients.TryGetValue(system, out var client)
            ? client
            : throw new InvalidOperationException("this actor system has no Corrosion client: add WithCorrosionClient(...) to AddAkka");
    }

    /// <summary>Makes the client of the service's actor system (<see cref="WithCorrosionClient"/>) injectable.</summary>
    /// <param name="services">The service collection that <c>AddAkka</c> was called on.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddCorrosionAkkaClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddSingleton(sp => sp.GetRequiredService<ActorSystem>().CorrosionAkkaClientFor());
    }
}
