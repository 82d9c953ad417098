using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// Serves a service's own configuration (a root or a section) as one layer of the node's configuration,
/// above the embedded reference.conf, and tells where a key was set so errors can say so.
/// </summary>
internal sealed class ServiceConfigurationProvider : IConfigurationProvider, IConfigurationOrigins
{
    private readonly IConfiguration _configuration;

    public ServiceConfigurationProvider(IConfiguration configuration) => _configuration = configuration;

    public bool TryGet(string key, out string? value)
    {
        value = _configuration[key];
        return value is not null;
    }

    public void Set(string key, string? value) => _configuration[key] = value;

    public IChangeToken GetReloadToken() => _configuration.GetReloadToken();

    public void Load()
    {
        // The service's configuration is loaded by its own builder.
    }

    public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        var section = parentPath is null ? _configuration : _configuration.GetSection(parentPath);
        return section.GetChildren()
            .Select(child => child.Key)
            .Concat(earlierKeys)
            .OrderBy(key => key, ConfigurationKeyComparer.Instance)
            .ToList();
    }

    public bool TryGetOrigin(string key, out string origin)
    {
        switch (_configuration)
        {
            case HostConfigurationSection hosted when hosted.Root.OriginOf(ConfigurationPath.Combine(hosted.Path, key)) is { } found:
                origin = found;
                return true;
            case IConfigurationSection section:
                // A section does not reveal its root, so the origin is the section's path in it.
                origin = $"configuration section '{section.Path}'";
                return true;
            case IConfigurationRoot root when root.OriginOf(key) is { } found:
                origin = found;
                return true;
            default:
                origin = string.Empty;
                return false;
        }
    }

    public override string ToString() => "service configuration";
}
