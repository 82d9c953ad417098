using Corrosion.Agent.Node;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Hosting;

/// <summary>
/// A service's configuration layered over the embedded <c>reference.conf</c>: every key the service
/// does not set keeps its documented default, whether the service's configuration comes from
/// <c>appsettings.json</c>, a HOCON file (<c>AddHoconFile</c>), memory or the environment.
/// </summary>
public static class EmbeddedNodeConfiguration
{
    /// <summary>The section holding <see cref="CorrosionHostingOptions"/>.</summary>
    public const string HostingSection = "embedded";

    /// <summary>
    /// Builds the layered configuration: reference.conf, then <paramref name="configuration"/> (a root,
    /// or a section such as <c>builder.Configuration.GetSection("Corrosion")</c>) on top.
    /// </summary>
    /// <exception cref="ConfigurationException">a key is not one of reference.conf's; the message names where it was set and the closest known key.</exception>
    public static IConfigurationRoot Build(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        HoconBinding.RegisterConverters();
        var layered = new ConfigurationBuilder()
            .AddHoconString(NodeConfiguration.ReferenceText(), "reference.conf")
            .Add(new ServiceConfigurationSource(configuration))
            .Build();

        // Inside a section (Corrosion) every key is the node's; a whole root also holds the rest of the
        // service's configuration (Logging, Kestrel...), so there only the node's own sections are checked.
        NodeConfiguration.ThrowOnUnknownKeys(layered.Providers.Skip(1), sharedRoot: configuration is not IConfigurationSection);
        return layered;
    }

    /// <summary>Binds the node's options from the layered configuration, applies <paramref name="configure"/>, validates.</summary>
    /// <exception cref="ConfigurationException">a value is unusable; the message names the key and where it was set.</exception>
    public static NodeOptions LoadNodeOptions(IConfiguration configuration, Action<NodeOptions>? configure = null)
    {
        var layered = Build(configuration);
        var options = NodeOptions.Bind(layered);
        if (configure is not null)
        {
            configure(options);
            try
            {
                options.Validate();
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                throw new ConfigurationException($"after the configure callback: {e.Message}", e);
            }
        }

        return options;
    }

    /// <summary>Binds the <c>embedded</c> section from the layered configuration, then applies <paramref name="configure"/>.</summary>
    /// <exception cref="ConfigurationException">a value is unusable; the message names the key.</exception>
    public static CorrosionHostingOptions LoadHostingOptions(IConfiguration configuration, Action<CorrosionHostingOptions>? configure = null)
    {
        var layered = Build(configuration);
        CorrosionHostingOptions options;
        try
        {
            options = layered.GetSection(HostingSection).Get<CorrosionHostingOptions>() ?? new CorrosionHostingOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException($"configuration section {HostingSection}: {e.Message}", e);
        }

        configure?.Invoke(options);
        return options;
    }
}
