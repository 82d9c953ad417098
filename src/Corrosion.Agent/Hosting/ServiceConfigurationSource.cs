using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Hosting;

/// <summary>Adds a service's configuration as a layer of the node's configuration.</summary>
internal sealed class ServiceConfigurationSource : IConfigurationSource
{
    private readonly IConfiguration _configuration;

    public ServiceConfigurationSource(IConfiguration configuration) => _configuration = configuration;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ServiceConfigurationProvider(_configuration);
}
