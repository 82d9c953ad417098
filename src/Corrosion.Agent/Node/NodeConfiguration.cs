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

        return builder.Build();
    }

    /// <summary>Builds the configuration and binds the node's options.</summary>
    public static NodeOptions Load(string? configPath, IEnumerable<KeyValuePair<string, string?>>? overrides = null) =>
        NodeOptions.Bind(Build(configPath, overrides));

    /// <summary>The assembly's informational version, for logs and health.</summary>
    public static string ProductVersion =>
        typeof(NodeConfiguration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
