using System.ComponentModel;
using System.Globalization;

namespace Corrosion.Hocon;

/// <summary>
/// A <see cref="TimeSpan"/> converter that reads HOCON durations (<c>500ms</c>, <c>5s</c>) as well as
/// the .NET format (<c>00:00:05</c>). A bare number is milliseconds, as in HOCON.
/// Installed for configuration binding by <see cref="HoconBinding.RegisterConverters"/>.
/// </summary>
public sealed class HoconTimeSpanConverter : TimeSpanConverter
{
    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string s ? HoconDuration.Parse(s) : base.ConvertFrom(context, culture, value);
}
