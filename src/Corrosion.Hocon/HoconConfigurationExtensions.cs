using Corrosion.Hocon.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace Corrosion.Hocon;

/// <summary>
/// Adds HOCON documents and <c>CORROSION_</c> environment variables to a configuration builder.
/// Keys become configuration keys with <c>:</c> between levels and array elements as <c>key:0</c>,
/// <c>key:1</c>, so sections bind to typed options with <c>GetSection("db").Get&lt;DbOptions&gt;()</c>.
/// Each document resolves its substitutions on its own: a user file cannot refer to keys that only
/// <c>reference.conf</c> defines (it overrides them by setting the same keys).
/// </summary>
public static class HoconConfigurationExtensions
{
    /// <summary>
    /// Adds a HOCON file. A relative path is resolved against the builder's base path when one was set
    /// with <c>SetBasePath</c>, else against the current directory.
    /// </summary>
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, string path, bool optional = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var basePath = builder.Properties.ContainsKey("FileProvider") && builder.GetFileProvider() is PhysicalFileProvider physical
            ? physical.Root
            : Directory.GetCurrentDirectory();
        var fullPath = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(basePath, path));
        return builder.Add(new HoconFileConfigurationSource(fullPath, path, optional));
    }

    /// <summary>Adds a HOCON document given as text, e.g. an embedded <c>reference.conf</c>.</summary>
    public static IConfigurationBuilder AddHoconString(this IConfigurationBuilder builder, string text, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(text);
        return builder.Add(new HoconTextConfigurationSource(text, sourceName));
    }

    /// <summary>Adds a HOCON document read (now, to the end) from a stream.</summary>
    public static IConfigurationBuilder AddHoconStream(this IConfigurationBuilder builder, Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new StreamReader(stream, leaveOpen: true);
        return builder.AddHoconString(reader.ReadToEnd(), sourceName);
    }

    /// <summary>
    /// Adds environment variables starting with <paramref name="prefix"/>: <c>CORROSION_DB__PATH</c>
    /// sets <c>db:path</c> (<c>__</c> between levels, names lower-cased; a single <c>_</c> stays).
    /// Add it last so that it overrides the files.
    /// </summary>
    public static IConfigurationBuilder AddCorrosionEnvironmentVariables(this IConfigurationBuilder builder, string prefix = "CORROSION_")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(prefix);
        return builder.Add(new PrefixedEnvironmentVariablesSource(prefix));
    }

    /// <summary>
    /// Where the value of <paramref name="key"/> (<c>api:addr</c> or <c>api.addr</c>) that wins in
    /// <paramref name="configuration"/> was set: <c>file:line:column</c> for HOCON sources, the variable's
    /// name for the environment, or null when unknown.
    /// </summary>
    public static string? OriginOf(this IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (configuration is not IConfigurationRoot root)
        {
            return null;
        }

        var normalized = key.Replace('.', ':');
        foreach (var provider in root.Providers.Reverse())
        {
            if (!provider.TryGet(normalized, out _))
            {
                continue;
            }

            return OriginIn(provider, normalized);
        }

        return null;
    }

    /// <summary>
    /// Where <paramref name="provider"/> got <paramref name="key"/>: <c>file:line:column</c> for HOCON and
    /// JSON files (<c>appsettings.json</c>), the file for other file providers, the variable's name for
    /// the environment, or null when the provider cannot say (memory).
    /// </summary>
    public static string? OriginIn(IConfigurationProvider provider, string key)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(key);
        var normalized = key.Replace('.', ':');
        switch (provider)
        {
            case IConfigurationOrigins origins:
                return origins.TryGetOrigin(normalized, out var origin) ? origin : null;
            case FileConfigurationProvider { Source.Path: { } path } file:
            {
                var full = file.Source.FileProvider?.GetFileInfo(path).PhysicalPath ?? path;
                return full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && JsonKeyLocator.Locate(full, normalized) is var (line, column)
                    ? $"{full}:{line}:{column}"
                    : full;
            }

            case var _ when provider.GetType().Name.Contains("Environment", StringComparison.Ordinal):
                return "environment variable " + normalized.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();
            default:
                return null;
        }
    }
}
