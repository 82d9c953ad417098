using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Configuration;

/// <summary>Loads a HOCON document into configuration keys (<c>db.path</c> becomes <c>db:path</c>).</summary>
internal sealed class HoconConfigurationProvider(Func<HoconObject?> load) : ConfigurationProvider
{
    public override void Load()
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (load() is { } document)
        {
            foreach (var (key, value) in document.Flatten())
            {
                data[key] = value;
            }
        }

        Data = data;
    }
}
