namespace Corrosion.Hocon.Tests;

/// <summary>Test arrangement: parse with no environment fallback unless one is given.</summary>
internal static class Hocon
{
    public static HoconObject Parse(string text, IReadOnlyDictionary<string, string>? environment = null) =>
        HoconParser.Parse(text, "test.conf", new HoconParseOptions
        {
            EnvironmentVariables = name => environment is not null && environment.TryGetValue(name, out var v) ? v : null,
        });

    public static HoconException Fails(string text) => Assert.Throws<HoconException>(() => Parse(text));
}
