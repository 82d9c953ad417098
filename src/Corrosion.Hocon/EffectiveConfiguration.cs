using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon;

/// <summary>
/// Renders a layered configuration as the HOCON it amounts to: every key with the value that wins,
/// where a layer above the defaults set it (<c># node.conf:3:5</c>), and secrets masked. The text
/// parses back to the same keys and values (masked ones aside).
/// </summary>
public static partial class EffectiveConfiguration
{
    /// <summary>What a masked value is shown as.</summary>
    public const string Mask = "****";

    /// <summary>Renders <paramref name="configuration"/>.</summary>
    /// <param name="configuration">The layered configuration.</param>
    /// <param name="isSecret">Whether the value at a key (<c>api:authz:bearer_tokens:0</c>) is masked.</param>
    /// <param name="defaults">
    /// The document of defaults (reference.conf): values whose origin is in it get no origin comment,
    /// and its empty arrays and objects, which configuration keys carry as null, are shown as such.
    /// </param>
    /// <param name="defaultsSource">The source name of <paramref name="defaults"/> in origins (<c>reference.conf</c>).</param>
    public static string Render(IConfigurationRoot configuration, Func<string, bool> isSecret, HoconObject? defaults = null, string? defaultsSource = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(isSecret);
        var sb = new StringBuilder();
        var context = new Context(configuration, isSecret, defaults, defaultsSource is null ? null : defaultsSource + ":");
        foreach (var child in configuration.GetChildren())
        {
            WriteField(sb, context, child, 0);
        }

        return sb.ToString();
    }

    private sealed record Context(IConfigurationRoot Root, Func<string, bool> IsSecret, HoconObject? Defaults, string? DefaultsPrefix);

    private static void WriteField(StringBuilder sb, Context context, IConfigurationSection section, int indent)
    {
        sb.Append(' ', indent * 2).Append(Key(section.Key));
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            sb.Append(" = ").Append(Scalar(context, section));
            AppendOrigin(sb, context, section.Path);
            sb.Append('\n');
            return;
        }

        if (IsArray(children))
        {
            sb.Append(" = ");
            WriteArray(sb, context, children, indent);
            sb.Append('\n');
            return;
        }

        sb.Append(" {\n");
        foreach (var child in children)
        {
            WriteField(sb, context, child, indent + 1);
        }

        sb.Append(' ', indent * 2).Append("}\n");
    }

    private static void WriteArray(StringBuilder sb, Context context, List<IConfigurationSection> elements, int indent)
    {
        var ordered = elements.OrderBy(e => int.Parse(e.Key, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        if (ordered.All(e => !e.GetChildren().Any()))
        {
            sb.Append('[').AppendJoin(", ", ordered.Select(e => Scalar(context, e))).Append(']');
            AppendOrigin(sb, context, ordered[0].Path);
            return;
        }

        sb.Append("[\n");
        foreach (var element in ordered)
        {
            sb.Append(' ', (indent + 1) * 2);
            var children = element.GetChildren().ToList();
            if (children.Count == 0)
            {
                sb.Append(Scalar(context, element)).Append('\n');
            }
            else if (IsArray(children))
            {
                WriteArray(sb, context, children, indent + 1);
                sb.Append('\n');
            }
            else
            {
                sb.Append("{\n");
                foreach (var child in children)
                {
                    WriteField(sb, context, child, indent + 2);
                }

                sb.Append(' ', (indent + 1) * 2).Append("}\n");
            }
        }

        sb.Append(' ', indent * 2).Append(']');
    }

    // Configuration keys cannot tell an array from an object whose keys are numbers ("a.0.1 = x", or a
    // quoted key holding ':'); only children numbered 0..n-1 are shown as an array, which reads back
    // as the same keys either way (found by fuzzing: "127:0:0:1" came back as "127:0:0:0").
    private static bool IsArray(List<IConfigurationSection> children)
    {
        var indexes = new List<int>(children.Count);
        foreach (var child in children)
        {
            if (child.Key.Length > 1 && child.Key[0] == '0'
                || !int.TryParse(child.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i))
            {
                return false;
            }

            indexes.Add(i);
        }

        indexes.Sort();
        return indexes.Select((value, position) => value == position).All(ok => ok);
    }

    private static string Scalar(Context context, IConfigurationSection section)
    {
        if (section.Value is not { } value)
        {
            return context.Defaults?.Find(PathOf(section.Path)) switch
            {
                HoconArray => "[]",
                HoconObject => "{}",
                _ => "null",
            };
        }

        if (value.Length > 0 && context.IsSecret(section.Path))
        {
            return Quote(Mask);
        }

        return SafeUnquoted().IsMatch(value) && value is not ("null" or "true" or "false") || IsPlainLiteral(value) ? value : Quote(value);
    }

    // "true", "false" and numbers stay as they are: binding reads them the same either way.
    private static bool IsPlainLiteral(string value) =>
        value is "true" or "false" || PlainNumber().IsMatch(value);

    private static void AppendOrigin(StringBuilder sb, Context context, string key)
    {
        var origin = context.Root.OriginOf(key);
        if (origin is not null && (context.DefaultsPrefix is null || !origin.StartsWith(context.DefaultsPrefix, StringComparison.Ordinal)))
        {
            sb.Append("  # ").Append(origin);
        }
    }

    private static string PathOf(string configurationKey) =>
        string.Join('.', configurationKey.Split(':').Select(Key));

    private static string Key(string key) => SafeKey().IsMatch(key) ? key : Quote(key);

    private static string Quote(string s)
    {
        var sb = new StringBuilder();
        HoconValue.RenderString(sb, s);
        return sb.ToString();
    }

    [GeneratedRegex(@"^[A-Za-z0-9_-]+\z")]
    private static partial Regex SafeKey();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_.-]*\z")]
    private static partial Regex SafeUnquoted();

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?\z")]
    private static partial Regex PlainNumber();
}
