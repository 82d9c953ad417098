using System.Globalization;
using System.Text.RegularExpressions;

namespace Corrosion.Agent.Tests.Telemetry;

/// <summary>Reads sample values out of Prometheus text exposition.</summary>
internal static partial class MetricsText
{
    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (<c>key="value"</c>); null when there is none.</summary>
    public static double? Value(string text, string name, params string[] labels)
    {
        double? sum = null;
        foreach (Match match in Sample().Matches(text))
        {
            if (match.Groups["name"].Value != name)
            {
                continue;
            }

            var labelText = match.Groups["labels"].Value;
            if (labels.All(l => labelText.Contains(l, StringComparison.Ordinal)))
            {
                sum = (sum ?? 0) + double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf)(?: \d+)?$", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
