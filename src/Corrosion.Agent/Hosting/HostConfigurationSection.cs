using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// A section of the host's configuration together with the host's root, so an error about one of its
/// keys can name the file that set it (<c>appsettings.json:12:7</c>): a section alone does not reveal its root.
/// </summary>
internal sealed class HostConfigurationSection(IConfigurationSection section, IConfigurationRoot root) : IConfigurationSection
{
    public IConfigurationRoot Root { get; } = root;

    public string Key => section.Key;

    public string Path => section.Path;

    public string? Value
    {
        get => section.Value;
        set => section.Value = value;
    }

    public string? this[string key]
    {
        get => section[key];
        set => section[key] = value;
    }

    /// <summary>Wraps <paramref name="section"/> when it belongs to <paramref name="host"/>, the service's root configuration.</summary>
    public static IConfiguration Wrap(IConfiguration section, IConfiguration? host) =>
        section is IConfigurationSection s and not HostConfigurationSection && host is IConfigurationRoot root
            && s.AsEnumerable().All(kv => root[kv.Key] == kv.Value)
            ? new HostConfigurationSection(s, root)
            : section;

    public IConfigurationSection GetSection(string key) => section.GetSection(key);

    public IEnumerable<IConfigurationSection> GetChildren() => section.GetChildren();

    public IChangeToken GetReloadToken() => section.GetReloadToken();
}
