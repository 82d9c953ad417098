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

    /// <summary>Loads the variables and remembers each key's variable name, so errors can name it.</summary>
    internal sealed class Provider(string prefix) : ConfigurationProvider, IConfigurationOrigins
    {
        private Dictionary<string, string> names = new(StringComparer.OrdinalIgnoreCase);

        public override void Load()
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var loaded = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                if (entry.Key is string name && name.Length > prefix.Length && name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
#pragma warning disable CA1308 // Keys are lower-case in the HOCON files they override.
                    var key = name[prefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal).ToLowerInvariant();
#pragma warning restore CA1308
                    data[key] = entry.Value as string;
                    loaded[key] = name;
                }
            }

            Data = data;
            names = loaded;
        }

        /// <summary>The variable that set <paramref name="key"/>, or the one that would.</summary>
        public string NameOf(string key) =>
            names.TryGetValue(key, out var name) ? name : VariableFor(key);

        /// <summary>The variable that sets a key: <c>db.path</c> is <c>CORROSION_DB__PATH</c>.</summary>
        public string VariableFor(string key) =>
            prefix + key.Replace(".", "__", StringComparison.Ordinal).Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

        public bool TryGetOrigin(string key, out string origin)
        {
            var found = names.TryGetValue(key, out var name);
            origin = found ? $"environment variable {name}" : string.Empty;
            return found;
        }
    }
}
