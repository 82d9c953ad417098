using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// The <c>embedded</c> section: how a node behaves inside a .NET service that hosts it with
/// <see cref="CorrosionServiceCollectionExtensions.AddCorrosionNode"/>. Ignored by <c>corrosion agent</c>.
/// </summary>
public sealed class CorrosionHostingOptions
{
    /// <summary>
    /// Serve the HTTP API on <c>api.addr</c> from inside the service. False opens no socket: the
    /// service reaches the node through <see cref="LocalCorrosionClient"/> and the actors only.
    /// </summary>
    [ConfigurationKeyName("http_api")]
    public bool HttpApi { get; set; } = true;

    /// <summary>
    /// Stop the service (<c>IHostApplicationLifetime.StopApplication</c>) when the node's actors stop
    /// after a failure their supervisor could not repair; false leaves the service running without a node.
    /// </summary>
    [ConfigurationKeyName("stop_host_on_failure")]
    public bool StopHostOnFailure { get; set; } = true;
}
