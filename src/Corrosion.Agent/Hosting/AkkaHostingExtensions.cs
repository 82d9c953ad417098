using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Corrosion.Agent.Hosting;

/// <summary>Puts a Corrosion node into an actor system configured with Akka.Hosting.</summary>
public static class AkkaHostingExtensions
{
    /// <summary>
    /// Makes this actor system the node's: adds the node's <c>akka</c> settings (its mailboxes, its
    /// logger and the rest of reference.conf's <c>akka</c> section, with the service's <c>akka:</c> keys)
    /// as a fallback to the system's own, so the service's settings win where both set a key. The node
    /// registered with <see cref="CorrosionServiceCollectionExtensions.AddCorrosionNodeServices"/> then
    /// starts its actors under <c>/user/corrosion</c> of this system when the host starts, and registers
    /// them in the system's <see cref="ActorRegistry"/> (<c>IRequiredActor&lt;StorageActor&gt;</c>…).
    /// </summary>
    /// <param name="builder">The service's Akka.Hosting builder.</param>
    /// <param name="provider">The service provider <c>AddAkka</c> hands to its callback.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">no node was registered with <c>AddCorrosionNodeServices</c>.</exception>
    public static AkkaConfigurationBuilder WithCorrosionNode(this AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(provider);
        var host = provider.GetService<CorrosionNodeHost>()
            ?? throw new InvalidOperationException("WithCorrosionNode needs the node's services: call services.AddCorrosionNodeServices(configuration) as well");
        return builder.AddHocon(host.NodeAkkaSettings(), HoconAddMode.Append);
    }
}
