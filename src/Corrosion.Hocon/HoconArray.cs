using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Corrosion.Hocon;

/// <summary>A resolved HOCON array.</summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "HOCON's own vocabulary: object and array.")]
public sealed class HoconArray : HoconValue, IReadOnlyList<HoconValue>
{
    private readonly HoconValue[] items;

    internal HoconArray(HoconValue[] items, string? origin)
        : base(origin)
    {
        this.items = items;
    }

    /// <inheritdoc />
    public override HoconValueType Type => HoconValueType.Array;

    /// <inheritdoc />
    public int Count => items.Length;

    /// <inheritdoc />
    public HoconValue this[int index] => items[index];

    /// <inheritdoc />
    public IEnumerator<HoconValue> GetEnumerator() => ((IEnumerable<HoconValue>)items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => items.GetEnumerator();

    internal override void Render(StringBuilder sb, int indent)
    {
        if (items.Length == 0)
        {
            sb.Append("[]");
            return;
        }

        sb.Append("[\n");
        for (var i = 0; i < items.Length; i++)
        {
            sb.Append(' ', (indent + 1) * 2);
            items[i].Render(sb, indent + 1);
            sb.Append(i + 1 < items.Length ? ",\n" : "\n");
        }

        sb.Append(' ', indent * 2).Append(']');
    }
}
