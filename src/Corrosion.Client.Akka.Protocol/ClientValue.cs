using System.Globalization;

namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// One SQLite value, typed: a statement parameter or a result cell. Only the field of its
/// <see cref="Kind"/> is meaningful.
/// </summary>
/// <param name="Kind">The storage class.</param>
/// <param name="Integer">The value when <see cref="ClientValueKind.Integer"/>.</param>
/// <param name="Real">The value when <see cref="ClientValueKind.Real"/>.</param>
/// <param name="Text">The value when <see cref="ClientValueKind.Text"/>.</param>
/// <param name="Blob">The value when <see cref="ClientValueKind.Blob"/>.</param>
public sealed record ClientValue(ClientValueKind Kind, long Integer = 0, double Real = 0, string? Text = null, byte[]? Blob = null)
{
    /// <summary>NULL.</summary>
    public static ClientValue Null { get; } = new(ClientValueKind.Null);

    /// <summary>An integer.</summary>
    public static ClientValue Of(long value) => new(ClientValueKind.Integer, Integer: value);

    /// <summary>A float.</summary>
    public static ClientValue Of(double value) => new(ClientValueKind.Real, Real: value);

    /// <summary>Text (null gives NULL).</summary>
    public static ClientValue Of(string? value) => value is null ? Null : new(ClientValueKind.Text, Text: value);

    /// <summary>A blob (null gives NULL).</summary>
    public static ClientValue Of(byte[]? value) => value is null ? Null : new(ClientValueKind.Blob, Blob: value);

    /// <summary>
    /// From a .NET value: null, integers, floats, decimal, bool (1/0), string, byte[], Guid (text).
    /// </summary>
    /// <exception cref="ArgumentException">a type SQLite cannot store.</exception>
    public static ClientValue From(object? value) => value switch
    {
        null => Null,
        ClientValue v => v,
        long l => Of(l),
        int i => Of(i),
        short s => Of(s),
        sbyte sb => Of(sb),
        byte b => Of(b),
        uint ui => Of(ui),
        ushort us => Of(us),
        ulong ul when ul <= long.MaxValue => Of((long)ul),
        bool flag => Of(flag ? 1L : 0L),
        double d => Of(d),
        float f => Of(f),
        decimal m => Of((double)m),
        string text => Of(text),
        byte[] bytes => Of(bytes),
        Guid guid => Of(guid.ToString()),
        _ => throw new ArgumentException($"a {value.GetType().Name} is not a SQLite value (use null, an integer, a float, a string or a byte[])", nameof(value)),
    };

    /// <summary>The value as a .NET object: null, long, double, string or byte[].</summary>
    public object? ToObject() => Kind switch
    {
        ClientValueKind.Integer => Integer,
        ClientValueKind.Real => Real,
        ClientValueKind.Text => Text,
        ClientValueKind.Blob => Blob,
        _ => null,
    };

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ClientValueKind.Integer => Integer.ToString(CultureInfo.InvariantCulture),
        ClientValueKind.Real => Real.ToString("R", CultureInfo.InvariantCulture),
        ClientValueKind.Text => Text ?? string.Empty,
        ClientValueKind.Blob => "x'" + Convert.ToHexString(Blob ?? []) + "'",
        _ => "NULL",
    };
}
