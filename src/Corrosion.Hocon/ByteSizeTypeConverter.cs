using System.ComponentModel;
using System.Globalization;

namespace Corrosion.Hocon;

/// <summary>Converts HOCON size strings (<c>64KiB</c>) and integers to <see cref="ByteSize"/>, for configuration binding.</summary>
public sealed class ByteSizeTypeConverter : TypeConverter
{
    /// <inheritdoc />
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || sourceType == typeof(long) || sourceType == typeof(int) || base.CanConvertFrom(context, sourceType);

    /// <inheritdoc />
    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) =>
        destinationType == typeof(string) || base.CanConvertTo(context, destinationType);

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value switch
        {
            string s => ByteSize.Parse(s),
            long l => new ByteSize(l),
            int i => new ByteSize(i),
            _ => base.ConvertFrom(context, culture, value),
        };

    /// <inheritdoc />
    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is ByteSize size ? size.ToString() : base.ConvertTo(context, culture, value, destinationType);
}
