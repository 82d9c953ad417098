using System.Globalization;

namespace Corrosion.Hocon;

/// <summary>
/// HOCON durations: a number, optional whitespace and a unit (<c>ns</c>, <c>us</c>, <c>ms</c>, <c>s</c>,
/// <c>m</c>, <c>h</c>, <c>d</c> and their long forms such as <c>millis</c>, <c>seconds</c>, <c>day</c>).
/// A number without unit is milliseconds. <c>infinite</c> is <see cref="Timeout.InfiniteTimeSpan"/>
/// (Akka's convention), and the .NET format <c>hh:mm:ss</c> is accepted too.
/// </summary>
public static class HoconDuration
{
    private static readonly Dictionary<string, double> TicksPerUnit = BuildUnits();

    /// <summary>Parses a duration, throwing <see cref="FormatException"/> with the accepted forms when it is not one.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a duration; expected a number and a unit such as 500ms, 5s, 2m, 1h or 1 day (a plain number is milliseconds)");

    /// <summary>Parses a duration.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null)
        {
            return false;
        }

        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        if (s is "infinite" or "inf" or "Inf" or "Infinite")
        {
            value = Timeout.InfiniteTimeSpan;
            return true;
        }

        if (s.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out value);
        }

        var split = NumberLength(s);
        if (split == 0 || !double.TryParse(s.AsSpan(0, split), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = s[split..].Trim();

        double ticksPerUnit;
        if (unit.Length == 0)
        {
            ticksPerUnit = TimeSpan.TicksPerMillisecond;
        }
        else if (!TicksPerUnit.TryGetValue(unit, out ticksPerUnit))
        {
            return false;
        }

        var ticks = Math.Round(number * ticksPerUnit);
        if (double.IsNaN(ticks) || ticks > TimeSpan.MaxValue.Ticks || ticks < TimeSpan.MinValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>Length of the leading number (sign, digits, one dot, exponent).</summary>
    internal static int NumberLength(string s)
    {
        var i = 0;
        if (i < s.Length && (s[i] == '-' || s[i] == '+'))
        {
            i++;
        }

        var digits = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
            digits++;
        }

        if (digits == 0)
        {
            return 0;
        }

        // An exponent only when digits follow, so "5e" is not eaten from a unit such as "5 exabytes".
        if (i + 1 < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            var j = i + 1;
            if (j < s.Length && (s[j] == '-' || s[j] == '+'))
            {
                j++;
            }

            if (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                while (j < s.Length && char.IsAsciiDigit(s[j]))
                {
                    j++;
                }

                i = j;
            }
        }

        return i;
    }

    private static Dictionary<string, double> BuildUnits()
    {
        var units = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(double ticks, params string[] names)
        {
            foreach (var name in names)
            {
                units[name] = ticks;
            }
        }

        Add(0.01, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
        Add(10, "us", "µs", "micro", "micros", "microsecond", "microseconds");
        Add(TimeSpan.TicksPerMillisecond, "ms", "milli", "millis", "millisecond", "milliseconds");
        Add(TimeSpan.TicksPerSecond, "s", "second", "seconds");
        Add(TimeSpan.TicksPerMinute, "m", "minute", "minutes");
        Add(TimeSpan.TicksPerHour, "h", "hour", "hours");
        Add(TimeSpan.TicksPerDay, "d", "day", "days");
        return units;
    }
}
