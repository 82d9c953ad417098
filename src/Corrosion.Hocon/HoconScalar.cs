using System.Text;

namespace Corrosion.Hocon;

/// <summary>A string, number, boolean or null value. Its <see cref="Text"/> is kept as written.</summary>
public sealed class HoconScalar : HoconValue
{
    internal HoconScalar(HoconValueType type, string? text, string? origin)
        : base(origin)
    {
        Type = type;
        Text = text;
    }

    /// <inheritdoc />
    public override HoconValueType Type { get; }

    /// <summary>The value's text (<c>"500ms"</c>, <c>"1.50"</c>, <c>"true"</c>), or <see langword="null"/> for null.</summary>
    public string? Text { get; }

    internal override void Render(StringBuilder sb, int indent)
    {
        switch (Type)
        {
            case HoconValueType.Null: sb.Append("null"); break;
            case HoconValueType.Number:
            case HoconValueType.Boolean: sb.Append(Text); break;
            default: RenderString(sb, Text ?? string.Empty); break;
        }
    }
}
