using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Configuration;

/// <summary>
/// Environment variables that start with a prefix, prefix removed, <c>__</c> turned into <c>:</c>
/// and lower-cased: <c>CORROSION_DB__PATH</c> is <c>db:path</c>.
/// </summary>
internal sealed class PrefixedEnvironmentVariablesSource(string prefix) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(prefix);

    private sealed class Provider(string prefix) : ConfigurationProvider
    {
        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                if (entry.Key is string name && name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
#pragma warning disable CA1308 // Keys are lower-case in the HOCON files they override.
                    var key = name[prefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal).ToLowerInvariant();
#pragma warning restore CA1308
                    data[key] = entry.Value as string;
                }
            }

            Data = data;
        }
    }
}
