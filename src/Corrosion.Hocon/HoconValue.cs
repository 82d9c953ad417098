using System.Globalization;
using System.Text;

namespace Corrosion.Hocon;

/// <summary>A resolved HOCON value: an object, an array or a scalar. Values are immutable.</summary>
public abstract class HoconValue
{
    private protected HoconValue(string? origin)
    {
        Origin = origin;
    }

    /// <summary>The value's type.</summary>
    public abstract HoconValueType Type { get; }

    /// <summary>Where the value was written (<c>source:line:column</c>), when known.</summary>
    public string? Origin { get; }

    /// <summary>Renders the value as JSON (which is valid HOCON), keys in document order.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Render(sb, 0);
        return sb.ToString();
    }

    internal abstract void Render(StringBuilder sb, int indent);

    internal static void RenderString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
