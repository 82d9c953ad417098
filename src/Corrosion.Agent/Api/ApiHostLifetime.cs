using Microsoft.Extensions.Hosting;

namespace Corrosion.Agent.Api;

/// <summary>The API host's lifetime: started and stopped by its owner alone (no console signal handlers).</summary>
internal sealed class ApiHostLifetime : IHostLifetime
{
    /// <inheritdoc/>
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
