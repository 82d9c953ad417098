using System.ComponentModel;

namespace Corrosion.Hocon;

/// <summary>Makes configuration binding understand HOCON value formats.</summary>
public static class HoconBinding
{
    private static int registered;

    /// <summary>
    /// Registers <see cref="HoconTimeSpanConverter"/> for <see cref="TimeSpan"/> so that
    /// <c>ConfigurationBinder</c> binds <c>"500ms"</c> as well as <c>"00:00:00.5"</c>.
    /// <see cref="ByteSize"/> carries its converter already. Safe to call more than once.
    /// </summary>
    public static void RegisterConverters()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
        {
            TypeDescriptor.AddAttributes(typeof(TimeSpan), new TypeConverterAttribute(typeof(HoconTimeSpanConverter)));
        }
    }
}
