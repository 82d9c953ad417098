using Corrosion.Agent.Node;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// How a service that embeds a node (<see cref="CorrosionServiceCollectionExtensions.AddCorrosionNode"/>)
/// reaches it: the running node, its actors, and an in-process client. Resolve it from the service
/// provider; the node starts with the host, so the awaitable members wait for that.
/// </summary>
public interface ICorrosionNodeAccessor
{
    /// <summary>The running node, or null before it started and after it stopped.</summary>
    CorrosionNode? Node { get; }

    /// <summary>An in-process client (no HTTP) that waits for the node to start before its first call.</summary>
    LocalCorrosionClient Client { get; }

    /// <summary>Waits until the node has started and returns it.</summary>
    /// <exception cref="InvalidOperationException">the node failed to start, or has stopped.</exception>
    Task<CorrosionNode> GetNodeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until the node has started and returns its actors: send <c>StorageCommand</c>s to
    /// <see cref="NodeActors.Storage"/>, <c>SubscriptionCommand</c>s to <see cref="NodeActors.Subscriptions"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">the node failed to start, or has stopped.</exception>
    Task<NodeActors> GetActorsAsync(CancellationToken cancellationToken = default);
}
