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
    public static string ReferenceText() => LazyReferenceText.Value;

    // Read once: start-up reads it for the configuration, the known keys and the keys' shapes.
    private static readonly Lazy<string> LazyReferenceText = new(ReadReference);

    private static string ReadReference()
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

    /// <summary>The embedded reference.conf parsed, once: the known keys and the keys' shapes are both read from it.</summary>
    private static readonly Lazy<HoconObject> ReferenceTree = new(() => HoconParser.Parse(ReferenceText(), "reference.conf"));

    private static readonly Lazy<KnownKeys> LazyKnownKeys = new(() => KnownKeys.FromReference(ReferenceTree.Value, OpenSections));

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

    /// <summary>
    /// Refuses a value of the wrong shape for its key, which the binder would silently skip: a single value where
    /// reference.conf has a list (<c>api.authz.bearer_tokens = "secret"</c> would leave the API open; <c>db.schema_paths
    /// = "/etc/schema"</c> would run the demo schema), or a list or object where it has a single value.
    /// </summary>
    /// <exception cref="ConfigurationException">the first such key, with where it was set and how to write it.</exception>
    public static void ThrowOnWrongShapes(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var (key, isList) in LazyShapes.Value)
        {
            var section = configuration.GetSection(key);
            var dotted = key.Replace(':', '.');
            if (isList && section.Value is { Length: > 0 } single)
            {
                var origin = configuration.OriginOf(key);
                var hint = OpenSections.Contains(dotted, StringComparer.Ordinal)
                    ? "of entries (see hocon/reference.conf)"
                    : $"; write {dotted} = [\"{(IsSecret(dotted) ? "****" : single)}\"]";
                throw new ConfigurationException($"{(origin is null ? "" : origin + ": ")}configuration key {dotted} is a list {hint}".Replace(" ;", ";", StringComparison.Ordinal));
            }

            if (!isList && section.GetChildren().FirstOrDefault() is { } child)
            {
                var origin = configuration.OriginOf(child.Path) ?? FirstOrigin(configuration, child);
                throw new ConfigurationException(
                    $"{(origin is null ? "" : origin + ": ")}configuration key {dotted} takes a single value, not a list or an object");
            }
        }
    }

    private static string? FirstOrigin(IConfiguration configuration, IConfigurationSection section) =>
        section.GetChildren().Select(c => configuration.OriginOf(c.Path) ?? FirstOrigin(configuration, c)).FirstOrDefault(o => o is not null);

    /// <summary>Lists that also take one string of comma-separated entries (<c>CORROSION_MEMBERSHIP__BOOTSTRAP=a:1,b:2</c>).</summary>
    private static readonly string[] ScalarLists = ["membership.bootstrap"];

    /// <summary>Every key of reference.conf that takes a value or a list (outside <see cref="OpenSections"/>), and which.</summary>
    private static readonly Lazy<IReadOnlyList<(string Key, bool IsList)>> LazyShapes = new(() =>
    {
        var shapes = new List<(string, bool)>();
        Collect(ReferenceTree.Value, "");
        return shapes;

        void Collect(HoconObject obj, string prefix)
        {
            foreach (var (name, value) in obj)
            {
                var key = prefix.Length == 0 ? name : prefix + ":" + name;
                var open = OpenSections.Contains(key.Replace(':', '.'), StringComparer.Ordinal);
                switch (value)
                {
                    case HoconArray when ScalarLists.Contains(key.Replace(':', '.'), StringComparer.Ordinal):
                        break;
                    case HoconArray:
                        // An open list (api.authz.tokens) holds whatever entries the operator names, but is a list.
                        shapes.Add((key, true));
                        break;
                    case var _ when open:
                        break;
                    case HoconObject child:
                        Collect(child, key);
                        break;
                    default:
                        shapes.Add((key, false));
                        break;
                }
            }
        }
    });

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
