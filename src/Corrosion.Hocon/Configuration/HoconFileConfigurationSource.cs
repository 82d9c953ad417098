using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Configuration;

/// <summary>A HOCON file; a missing optional file gives no keys.</summary>
internal sealed class HoconFileConfigurationSource(string fullPath, string displayPath, bool optional) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) =>
        new HoconConfigurationProvider(() =>
        {
            if (!File.Exists(fullPath))
            {
                return optional ? null : throw new HoconException($"configuration file '{displayPath}' not found (looked for {fullPath})");
            }

            return HoconParser.ParseFile(fullPath);
        });
}
