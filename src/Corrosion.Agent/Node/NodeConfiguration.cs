using System.Reflection;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>
/// Loads a node's configuration: the embedded <c>reference.conf</c> (every key and its default), then
/// the user's HOCON file, then <c>CORROSION_</c> environment variables (<c>CORROSION_DB__PATH</c>).
/// </summary>
public static class NodeConfiguration
{
    private const string ReferenceResource = "Corrosion.reference.conf";

    /// <summary>The text of the embedded reference.conf.</summary>
    public static string ReferenceText()
    {
        using var stream = typeof(NodeConfiguration).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"embedded resource {ReferenceResource} is missing from {typeof(NodeConfiguration).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Builds the layered configuration.</summary>
    /// <param name="configPath">A HOCON file, or null for the embedded defaults alone.</param>
    /// <param name="overrides">Extra key/value pairs applied last (tests, command-line flags).</param>
    public static IConfigurationRoot Build(string? configPath, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        HoconBinding.RegisterConverters();
        var builder = new ConfigurationBuilder().AddHoconString(ReferenceText(), "reference.conf");
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                throw new FileNotFoundException($"configuration file {configPath} does not exist", configPath);
            }

            builder.AddHoconFile(Path.GetFullPath(configPath));
        }

        builder.AddCorrosionEnvironmentVariables();
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        var root = builder.Build();
        ThrowOnUnknownKeys(root.Providers.Skip(1), sharedRoot: false);
        return root;
    }

    /// <summary>
    /// Sections whose keys are someone else's, so they are not checked against reference.conf:
    /// <c>akka</c> is handed to Akka.NET as it is; <c>api.authz.tokens</c> holds one entry per token,
    /// named by the operator.
    /// </summary>
    public static IReadOnlyList<string> OpenSections { get; } = ["akka", "api.authz.tokens"];

    /// <summary>Every key the node reads: the keys of reference.conf, plus anything under <see cref="OpenSections"/>.</summary>
    public static KnownKeys KnownKeys => LazyKnownKeys.Value;

    private static readonly Lazy<KnownKeys> LazyKnownKeys = new(() =>
        KnownKeys.FromReference(HoconParser.Parse(ReferenceText(), "reference.conf"), OpenSections));

    /// <summary>
    /// Refuses keys that nothing reads: each is named with where it was set and the closest known key
    /// (<c>node.conf:3:3: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap?</c>).
    /// </summary>
    /// <param name="providers">The layers to check (not reference.conf itself).</param>
    /// <param name="sharedRoot">The layers are a whole application's configuration: leave its other top-level sections alone.</param>
    /// <exception cref="ConfigurationException">one line per unknown key.</exception>
    public static void ThrowOnUnknownKeys(IEnumerable<IConfigurationProvider> providers, bool sharedRoot)
    {
        ArgumentNullException.ThrowIfNull(providers);
        var unknown = providers.SelectMany(p => KnownKeys.FindUnknown(p, sharedRoot)).ToList();
        if (unknown.Count > 0)
        {
            throw new ConfigurationException(string.Join(Environment.NewLine, unknown));
        }
    }

    /// <summary>Builds the configuration and binds the node's options.</summary>
    public static NodeOptions Load(string? configPath, IEnumerable<KeyValuePair<string, string?>>? overrides = null) =>
        NodeOptions.Bind(Build(configPath, overrides));

    /// <summary>
    /// Whether the value at a configuration key is a secret, to be masked when the configuration is shown:
    /// a key named like a token, password, secret or private key (a <c>*_file</c> key holds a path, which
    /// is shown); for an array element, the array's name decides (<c>api.authz.bearer_tokens.0</c>).
    /// </summary>
    public static bool IsSecret(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var segments = key.Split(':', '.');
        var name = segments.LastOrDefault(s => !s.All(char.IsAsciiDigit)) ?? string.Empty;
        if (name.EndsWith("_file", StringComparison.OrdinalIgnoreCase) || name.EndsWith("_path", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith("-file", StringComparison.OrdinalIgnoreCase) || name.EndsWith("-path", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string[] secretWords = ["token", "password", "passwd", "passphrase", "secret", "private_key", "private-key", "api_key", "credential"];
        return secretWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)) || name.Equals("key", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// What <c>corrosion agent --check</c> does: loads and validates the configuration as start-up would
    /// (unknown keys, values, the schema files) without opening the database or any socket, and renders
    /// the effective configuration with secrets masked.
    /// </summary>
    /// <returns>The options and the rendered configuration.</returns>
    /// <exception cref="ConfigurationException">a key or value is wrong.</exception>
    /// <exception cref="Storage.SchemaException">a schema file is missing or not valid for replicated tables.</exception>
    public static (NodeOptions Options, string Effective) Check(string? configPath, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var root = Build(configPath, overrides);
        var options = NodeOptions.Bind(root);
        if (options.Db.SchemaPaths.Count > 0)
        {
            Storage.SchemaLoader.Parse(Storage.SchemaLoader.ReadFiles(options.Db.SchemaPaths));
        }

        var reference = HoconParser.Parse(ReferenceText(), "reference.conf");
        return (options, EffectiveConfiguration.Render(root, IsSecret, reference, "reference.conf"));
    }

    /// <summary>The assembly's informational version, for logs and health.</summary>
    public static string ProductVersion =>
        typeof(NodeConfiguration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
