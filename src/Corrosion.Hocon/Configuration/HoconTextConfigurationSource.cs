using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Configuration;

/// <summary>A HOCON document held in memory, such as an embedded <c>reference.conf</c>.</summary>
internal sealed class HoconTextConfigurationSource(string text, string sourceName) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) =>
        new HoconConfigurationProvider(() => HoconParser.Parse(text, sourceName));
}
