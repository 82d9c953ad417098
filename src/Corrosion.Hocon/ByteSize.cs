using System.ComponentModel;
using System.Globalization;

namespace Corrosion.Hocon;

/// <summary>
/// A size in bytes, parsed from HOCON size strings: a number, optional whitespace and a unit.
/// Binary units: <c>K</c>, <c>Ki</c>, <c>KiB</c>, <c>kibibytes</c> (1024), likewise M, G, T, P, E.
/// Decimal units: <c>kB</c>, <c>KB</c>, <c>kilobytes</c> (1000), likewise MB, GB, TB, PB, EB.
/// A number without unit, or with <c>B</c>/<c>bytes</c>, is bytes.
/// </summary>
[TypeConverter(typeof(ByteSizeTypeConverter))]
public readonly record struct ByteSize(long Bytes)
{
    private static readonly Dictionary<string, decimal> Units = BuildUnits();

    /// <summary>Parses a size, throwing <see cref="FormatException"/> with the accepted forms when it is not one.</summary>
    public static ByteSize Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a size; expected a number and a unit such as 512B, 64KiB, 10MB or 1G (a plain number is bytes)");

    /// <summary>Parses a size.</summary>
    public static bool TryParse(string? text, out ByteSize value)
    {
        value = default;
        if (text is null)
        {
            return false;
        }

        var s = text.Trim();
        var split = HoconDuration.NumberLength(s);
        if (split == 0 || !decimal.TryParse(s.AsSpan(0, split), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = s[split..].Trim();
        decimal multiplier = 1;
        if (unit.Length > 0 && !Units.TryGetValue(unit, out multiplier))
        {
            return false;
        }

        try
        {
            var bytes = decimal.Round(number * multiplier);
            if (bytes < long.MinValue || bytes > long.MaxValue)
            {
                return false;
            }

            value = new ByteSize((long)bytes);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>The size as a byte count with unit, e.g. <c>65536B</c>, which <see cref="Parse"/> reads back.</summary>
    public override string ToString() => Bytes.ToString(CultureInfo.InvariantCulture) + "B";

    private static Dictionary<string, decimal> BuildUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal multiplier, params string[] names)
        {
            foreach (var name in names)
            {
                units[name] = multiplier;
            }
        }

        Add(1, "B", "b", "byte", "bytes");
        var prefixes = new[] { ("K", "k", "kilo", "kibi"), ("M", "m", "mega", "mebi"), ("G", "g", "giga", "gibi"), ("T", "t", "tera", "tebi"), ("P", "p", "peta", "pebi"), ("E", "e", "exa", "exbi") };
        decimal binary = 1, metric = 1;
        foreach (var (upper, lower, si, iec) in prefixes)
        {
            binary *= 1024;
            metric *= 1000;
            Add(binary, upper, lower, upper + "i", lower + "i", upper + "iB", lower + "iB", iec + "byte", iec + "bytes");
            Add(metric, upper + "B", lower + "B", si + "byte", si + "bytes");
        }

        return units;
    }
}
