using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Configuration;

/// <summary>Loads a HOCON document into configuration keys (<c>db.path</c> becomes <c>db:path</c>), remembering where each was set.</summary>
internal sealed class HoconConfigurationProvider(Func<HoconObject?> load) : ConfigurationProvider, IConfigurationOrigins
{
    private Dictionary<string, string> _origins = new(StringComparer.OrdinalIgnoreCase);

    public override void Load()
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var origins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (load() is { } document)
        {
            foreach (var (key, value, origin) in document.FlattenWithOrigins())
            {
                data[key] = value;
                if (origin is not null)
                {
                    origins[key] = origin;
                }
            }
        }

        Data = data;
        _origins = origins;
    }

    public bool TryGetOrigin(string key, out string origin) => _origins.TryGetValue(key, out origin!);
}
