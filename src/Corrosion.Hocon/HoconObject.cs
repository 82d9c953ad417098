using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Corrosion.Hocon.Parsing;

namespace Corrosion.Hocon;

/// <summary>
/// A resolved HOCON object: keys in document order. Getters take a HOCON path (<c>db.path</c>,
/// <c>"a.b".c</c> for a key containing a dot) and throw <see cref="HoconException"/> naming the path
/// when it is missing or of the wrong type.
/// </summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "HOCON's own vocabulary: object and array.")]
public sealed class HoconObject : HoconValue, IReadOnlyDictionary<string, HoconValue>
{
    private readonly Dictionary<string, HoconValue> fields;
    private readonly string[] order;

    internal HoconObject(IReadOnlyList<KeyValuePair<string, HoconValue>> fields, string? origin)
        : base(origin)
    {
        this.fields = new Dictionary<string, HoconValue>(fields.Count, StringComparer.Ordinal);
        order = new string[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            this.fields[fields[i].Key] = fields[i].Value;
            order[i] = fields[i].Key;
        }
    }

    /// <summary>An empty object.</summary>
    public static HoconObject Empty { get; } = new([], null);

    /// <inheritdoc />
    public override HoconValueType Type => HoconValueType.Object;

    /// <inheritdoc />
    public int Count => order.Length;

    /// <summary>The keys in document order.</summary>
    public IEnumerable<string> Keys => order;

    /// <inheritdoc />
    public IEnumerable<HoconValue> Values => order.Select(k => fields[k]);

    /// <summary>The value of a direct key (not a path).</summary>
    public HoconValue this[string key] => fields[key];

    /// <inheritdoc />
    public bool ContainsKey(string key) => fields.ContainsKey(key);

    /// <summary>Looks up a direct key (not a path).</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out HoconValue value) => fields.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, HoconValue>> GetEnumerator() =>
        order.Select(k => new KeyValuePair<string, HoconValue>(k, fields[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The value at a path, or <see langword="null"/> when there is none.</summary>
    public HoconValue? Find(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        HoconValue current = this;
        foreach (var segment in HoconPath.Parse(path))
        {
            if (current is not HoconObject obj || !obj.fields.TryGetValue(segment, out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    /// <summary>Whether a non-null value exists at the path.</summary>
    public bool HasPath(string path) => Find(path) is { Type: not HoconValueType.Null };

    /// <summary>The value at a path.</summary>
    public HoconValue GetValue(string path) =>
        Find(path) ?? throw new HoconException($"no configuration value at path '{path}'");

    /// <summary>The object at a path.</summary>
    public HoconObject GetObject(string path) =>
        GetValue(path) as HoconObject ?? throw WrongType(path, "an object");

    /// <summary>The array at a path.</summary>
    public HoconArray GetArray(string path) =>
        GetValue(path) as HoconArray ?? throw WrongType(path, "an array");

    /// <summary>The text of the scalar at a path (a number or boolean is returned as written).</summary>
    public string GetString(string path) =>
        GetValue(path) is HoconScalar { Text: { } text } ? text : throw WrongType(path, "a string");

    /// <summary>The 32-bit integer at a path.</summary>
    public int GetInt(string path) =>
        int.TryParse(GetString(path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw WrongType(path, "a 32-bit integer");

    /// <summary>The 64-bit integer at a path.</summary>
    public long GetLong(string path) =>
        long.TryParse(GetString(path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw WrongType(path, "a 64-bit integer");

    /// <summary>The floating-point number at a path.</summary>
    public double GetDouble(string path) =>
        double.TryParse(GetString(path), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw WrongType(path, "a number");

    /// <summary>
    /// The boolean at a path: <c>true</c>/<c>false</c>, and as in Lightbend's config also
    /// <c>yes</c>/<c>no</c> and <c>on</c>/<c>off</c>.
    /// </summary>
    public bool GetBool(string path) =>
        GetString(path).ToUpperInvariant() switch
        {
            "TRUE" or "YES" or "ON" => true,
            "FALSE" or "NO" or "OFF" => false,
            _ => throw WrongType(path, "a boolean"),
        };

    /// <summary>The duration at a path (<c>500ms</c>, <c>5 s</c>, a plain number is milliseconds).</summary>
    public TimeSpan GetDuration(string path) =>
        HoconDuration.TryParse(GetString(path), out var v) ? v : throw WrongType(path, "a duration such as 500ms, 5s or 2m");

    /// <summary>The size in bytes at a path (<c>64KiB</c>, <c>10MB</c>, a plain number is bytes).</summary>
    public ByteSize GetSize(string path) =>
        ByteSize.TryParse(GetString(path), out var v) ? v : throw WrongType(path, "a size such as 64KiB or 10MB");

    /// <summary>The array of scalars at a path, as strings.</summary>
    public IReadOnlyList<string> GetStringList(string path) =>
        GetArray(path).Select((v, i) => v is HoconScalar { Text: { } t } ? t : throw WrongType($"{path}[{i}]", "a string")).ToArray();

    /// <summary>
    /// Flattens the tree into configuration key/value pairs: levels joined by <c>:</c>, array elements
    /// as <c>key:0</c>, <c>key:1</c>; null values and empty objects or arrays give a <see langword="null"/> value.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> Flatten() =>
        FlattenWithOrigins().Select(entry => new KeyValuePair<string, string?>(entry.Key, entry.Value)).ToList();

    /// <summary>As <see cref="Flatten"/>, with the <c>file:line:column</c> each value came from.</summary>
    public IEnumerable<(string Key, string? Value, string? Origin)> FlattenWithOrigins()
    {
        var result = new List<(string, string?, string?)>();
        foreach (var key in order)
        {
            FlattenWithOriginsInto(result, key, fields[key]);
        }

        return result;
    }

    private static void FlattenWithOriginsInto(List<(string, string?, string?)> result, string prefix, HoconValue value)
    {
        switch (value)
        {
            case HoconObject obj when obj.Count > 0:
                foreach (var key in obj.order)
                {
                    FlattenWithOriginsInto(result, prefix + ":" + key, obj.fields[key]);
                }

                break;
            case HoconArray arr when arr.Count > 0:
                for (var i = 0; i < arr.Count; i++)
                {
                    FlattenWithOriginsInto(result, prefix + ":" + i.ToString(CultureInfo.InvariantCulture), arr[i]);
                }

                break;
            case HoconScalar scalar:
                result.Add((prefix, scalar.Text, scalar.Origin));
                break;
            default:
                result.Add((prefix, null, value.Origin));
                break;
        }
    }

    private HoconException WrongType(string path, string expected)
    {
        var found = Find(path);
        var what = found switch
        {
            null => "nothing",
            HoconScalar { Type: HoconValueType.Null } => "null",
            HoconScalar s => $"{s.Type.ToString().ToLowerInvariant()} '{s.Text}'",
            _ => $"an {found.Type.ToString().ToLowerInvariant()}",
        };
        var message = $"configuration value at path '{path}' should be {expected}, but is {what}";
        return found?.Origin is { } origin ? new HoconException($"{origin}: {message}") : new HoconException(message);
    }

    internal override void Render(StringBuilder sb, int indent)
    {
        if (order.Length == 0)
        {
            sb.Append("{}");
            return;
        }

        sb.Append("{\n");
        for (var i = 0; i < order.Length; i++)
        {
            sb.Append(' ', (indent + 1) * 2);
            RenderString(sb, order[i]);
            sb.Append(": ");
            fields[order[i]].Render(sb, indent + 1);
            sb.Append(i + 1 < order.Length ? ",\n" : "\n");
        }

        sb.Append(' ', indent * 2).Append('}');
    }
}
