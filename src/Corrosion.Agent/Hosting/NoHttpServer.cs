using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// A server that never listens: the node's API application is built and started as usual, but no
/// socket is opened, for services that reach the node in-process only (<c>embedded.http_api = false</c>).
/// </summary>
internal sealed class NoHttpServer : IServer
{
    public NoHttpServer()
    {
        Features.Set<IServerAddressesFeature>(new ServerAddressesFeature());
    }

    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }
}
