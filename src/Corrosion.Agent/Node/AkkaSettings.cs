using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Configuration;
using Corrosion.Agent.Actors;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>
/// The <c>akka</c> section of the node's configuration, handed to Akka.NET. The node's HOCON is parsed
/// by Corrosion.Hocon alone (substitutions, includes, environment variables and errors with file and
/// line); Akka receives the resolved <c>akka</c> subtree, rendered as JSON text, and fills every key
/// not set there from its own defaults. Akka's HOCON parser never reads a user's file.
/// </summary>
public static class AkkaSettings
{
    /// <summary>The section handed to Akka.</summary>
    public const string Section = "akka";

    private static readonly Lazy<Config> ReferenceSectionConfig = new(() =>
        Parse(new ConfigurationBuilder().AddHoconString(NodeConfiguration.ReferenceText(), "reference.conf").Build()));

    // Akka's own defaults, parsed once: ConfigurationFactory.Default() parses Akka's embedded reference configuration
    // anew at every call (Akka's HOCON tokenizer: ~4 % of a native agent's start-up CPU and ~1 MiB of garbage each time;
    // bench/RESULTS.md, "Start time, session 11"). A Config is immutable: WithFallback makes a new one.
    private static readonly Lazy<Config> AkkaDefaults = new(ConfigurationFactory.Default);

    /// <summary>The Akka settings of the embedded reference.conf alone, over Akka's defaults (tests and tools use them).</summary>
    public static Config Reference => ReferenceSection.WithFallback(AkkaDefaults.Value);

    /// <summary>The <c>akka</c> section of the embedded reference.conf alone, without Akka's defaults.</summary>
    public static Config ReferenceSection => ReferenceSectionConfig.Value;

    /// <summary>
    /// Akka's configuration from the node's: the <c>akka</c> section rendered for Akka, with Akka's own
    /// defaults as fallback.
    /// </summary>
    /// <param name="configuration">The node's layered configuration (reference.conf, file, environment).</param>
    /// <returns>The configuration to create an ActorSystem with.</returns>
    public static Config FromConfiguration(IConfiguration configuration) =>
        Parse(configuration).WithFallback(AkkaDefaults.Value);

    /// <summary>
    /// The <c>akka</c> section alone as Akka's configuration (no defaults): what a host's own actor
    /// system takes as a fallback to its settings, so the node's mailboxes and logger are defined there.
    /// </summary>
    /// <param name="configuration">The node's layered configuration.</param>
    /// <returns>The section's settings.</returns>
    public static Config Parse(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return ConfigurationFactory.ParseString(Render(configuration));
    }

    /// <summary>
    /// Fails when <paramref name="config"/> lacks a mailbox the node's actors are created with (an
    /// actor system that was not given the node's <c>akka</c> section).
    /// </summary>
    /// <param name="config">An actor system's configuration.</param>
    /// <exception cref="InvalidOperationException">a mailbox is missing; the message names it.</exception>
    public static void RequireNodeMailboxes(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var mailbox in NodeMailboxes.All)
        {
            if (!config.HasPath(mailbox))
            {
                throw new InvalidOperationException(
                    $"the actor system has no {mailbox}: give it the node's akka settings (WithCorrosionNode in AddAkka, or NodeOptions.Akka)");
            }
        }
    }

    /// <summary>The <c>akka</c> section as JSON text (JSON is HOCON), under its <c>akka</c> key.</summary>
    /// <param name="configuration">The node's layered configuration.</param>
    /// <returns>For example <c>{"akka":{"loglevel":"INFO"}}</c>.</returns>
    public static string Render(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WritePropertyName(Section);
            Write(json, configuration.GetSection(Section));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // Values stay strings: Akka parses numbers, sizes, durations and on/off from text when it reads them.
    // Children named 0..n-1 are an array (that is how HOCON arrays are flattened into configuration keys).
    private static void Write(Utf8JsonWriter json, IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            if (section.Value is { } value)
            {
                json.WriteStringValue(value);
            }
            else if (section.Path == Section)
            {
                json.WriteStartObject();
                json.WriteEndObject();
            }
            else
            {
                json.WriteNullValue();
            }

            return;
        }

        if (IsArray(children))
        {
            json.WriteStartArray();
            foreach (var child in children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                Write(json, child);
            }

            json.WriteEndArray();
            return;
        }

        json.WriteStartObject();
        foreach (var child in children)
        {
            json.WritePropertyName(child.Key);
            Write(json, child);
        }

        json.WriteEndObject();
    }

    private static bool IsArray(List<IConfigurationSection> children)
    {
        var indexes = new HashSet<int>();
        foreach (var child in children)
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                return false;
            }

            indexes.Add(index);
        }

        return indexes.Count == children.Count && indexes.Min() == 0 && indexes.Max() == children.Count - 1;
    }
}
