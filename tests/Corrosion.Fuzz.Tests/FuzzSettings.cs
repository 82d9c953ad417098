using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// How much to fuzz: <c>CORROSION_FUZZ_INPUTS</c> inputs per target (a fast seeded subset by default,
/// 100000 for the full campaign), from seed <c>CORROSION_FUZZ_SEED</c>. Input <c>i</c> of a target is
/// generated from (seed, i) alone, so any finding replays with the same seed and index.
/// </summary>
internal static class FuzzSettings
{
    public const ulong DefaultSeed = 20261206;

    private static readonly Lock TraceLock = new();

    /// <summary>Inputs per target: <c>CORROSION_FUZZ_INPUTS</c>, else the target's share of the fast run in <c>.ci/run</c> (about a minute in all).</summary>
    public static int Inputs(int fastRun) => int.TryParse(Environment.GetEnvironmentVariable("CORROSION_FUZZ_INPUTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fastRun;

    /// <summary>The first input index (<c>CORROSION_FUZZ_FROM</c>, default 0), to replay a stretch of a campaign.</summary>
    public static int First => int.TryParse(Environment.GetEnvironmentVariable("CORROSION_FUZZ_FROM"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>Concurrent client lanes of the HTTP campaign (<c>CORROSION_FUZZ_CLIENTS</c>, default 4, at least 2: one writes, the others read).</summary>
    public static int Clients => int.TryParse(Environment.GetEnvironmentVariable("CORROSION_FUZZ_CLIENTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 2 ? n : 4;

    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("CORROSION_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;

    /// <summary>Input <paramref name="index"/> of a campaign: FsCheck's generator on a random source derived from (seed, index).</summary>
    public static T Generate<T>(Gen<T> gen, int index)
    {
        var rnd = new Rnd(unchecked(Seed * 0x9E3779B97F4A7C15UL + (ulong)index * 0xBF58476D1CE4E5B9UL + 1));
        return gen.Sample(10 + (index % 90), rnd, 1)[0];
    }

    /// <summary>
    /// Writes the input about to run to <c>CORROSION_FUZZ_TRACE</c> when set, so an input that takes
    /// the whole process down (a stack overflow, an abort) can be found afterwards.
    /// </summary>
    public static void Trace(string target, int index, object input)
    {
        if (Environment.GetEnvironmentVariable("CORROSION_FUZZ_TRACE") is { Length: > 0 } path)
        {
            lock (TraceLock)
            {
                File.WriteAllText(path, $"{target} input {index}: {input}");
            }
        }
    }

    /// <summary>Appends a result line to <c>CORROSION_FUZZ_REPORT</c> when set (the full campaign collects them for bench/RESULTS.md).</summary>
    public static void Report(string line)
    {
        if (Environment.GetEnvironmentVariable("CORROSION_FUZZ_REPORT") is { Length: > 0 } path)
        {
            File.AppendAllText(path, line + Environment.NewLine);
        }
    }
}
