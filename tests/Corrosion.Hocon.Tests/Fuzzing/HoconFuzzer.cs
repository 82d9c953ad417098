using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Tests.Fuzzing;

/// <summary>What one fuzz run found.</summary>
public sealed class FuzzReport
{
    public int Inputs { get; set; }

    public int Parsed { get; set; }

    public int Refused { get; set; }

    public Dictionary<FuzzKind, int> ByKind { get; } = [];

    /// <summary>Exceptions other than <see cref="HoconException"/> (or, for stack depth, a dead process: see the runner).</summary>
    public List<string> Crashes { get; } = [];

    /// <summary><see cref="HoconException"/>s that do not say where (no line): a user could not find the problem.</summary>
    public List<string> Unplaced { get; } = [];

    /// <summary>Inputs whose parse did not finish within the time limit.</summary>
    public List<string> Hangs { get; } = [];

    /// <summary>Parsed documents whose effective-configuration rendering did not parse back to the same keys.</summary>
    public List<string> RenderMismatches { get; } = [];

    public TimeSpan Slowest { get; set; }

    public int SlowestIndex { get; set; } = -1;

    public TimeSpan Elapsed { get; set; }

    public string Summary(int seed) =>
        string.Create(CultureInfo.InvariantCulture, $"seed {seed}: {Inputs} inputs ({string.Join(", ", ByKind.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}); ")
        + string.Create(CultureInfo.InvariantCulture, $"{Parsed} parsed, {Refused} refused with a positioned HoconException; ")
        + string.Create(CultureInfo.InvariantCulture, $"{Crashes.Count} crashes, {Hangs.Count} hangs, {Unplaced.Count} errors without a position, {RenderMismatches.Count} render mismatches; ")
        + string.Create(CultureInfo.InvariantCulture, $"costliest input #{SlowestIndex} {Slowest.TotalMilliseconds:F0} ms of CPU; {Elapsed.TotalSeconds:F0} s in all");
}

/// <summary>
/// Runs generated inputs through the parser, each on its own thread with a 1 MiB stack (less than any
/// thread the agent parses on, so what passes here cannot overflow there) and a time limit.
/// </summary>
public sealed class HoconFuzzer(HoconInputs inputs, TimeSpan limit)
{
    private const int StackSize = 1 << 20;

    // Microsoft.Extensions.Configuration lists a provider's children by scanning all its keys, so
    // rendering costs keys squared: only node-sized documents are rendered (a node has about 100 keys).
    private const int MaxRenderedKeys = 2_000;
    private const int MaxHangs = 3;

    public FuzzReport Run(int from, int count)
    {
        var report = new FuzzReport();
        var clock = Stopwatch.StartNew();
        for (var index = from; index < from + count && report.Hangs.Count < MaxHangs; index++)
        {
            var input = inputs.Make(index);
            report.Inputs++;
            report.ByKind[input.Kind] = report.ByKind.GetValueOrDefault(input.Kind) + 1;
            var (outcome, elapsed) = RunOne(input);
            if (elapsed > report.Slowest)
            {
                (report.Slowest, report.SlowestIndex) = (elapsed, index);
            }

            switch (outcome)
            {
                case null:
                    report.Hangs.Add(Describe(input, $"no result within {limit.TotalSeconds:F0} s (wall clock)"));
                    break;
                case Outcome.Parsed parsed:
                    report.Parsed++;
                    if (parsed.RenderProblem is { } problem)
                    {
                        report.RenderMismatches.Add(Describe(input, problem));
                    }

                    break;
                case Outcome.Refused refused when refused.Error.Line > 0 || refused.Error.Message.StartsWith("configuration file", StringComparison.Ordinal):
                    report.Refused++;
                    break;
                case Outcome.Refused refused:
                    report.Unplaced.Add(Describe(input, refused.Error.Message));
                    break;
                case Outcome.Crashed crashed:
                    report.Crashes.Add(Describe(input, crashed.Error.ToString()));
                    break;
            }
        }

        report.Elapsed = clock.Elapsed;
        return report;
    }

    private static string Describe(FuzzInput input, string what) =>
        string.Create(CultureInfo.InvariantCulture, $"#{input.Index} ({input.Kind}) {input.Preview()}: {what}");

    private (Outcome? Outcome, TimeSpan Elapsed) RunOne(FuzzInput input)
    {
        Outcome? outcome = null;
        string? directory = null;
        if (input.Files.Count > 0)
        {
            directory = Path.Combine(inputs.Scratch, input.Index.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(directory);
            foreach (var (name, text) in input.Files)
            {
                File.WriteAllText(Path.Combine(directory, name), text);
            }
        }

        // CPU time, not wall time, says how costly an input is: on a machine shared with builds a
        // parse can wait seconds for a core. (The process's CPU time: the parse is all it runs.)
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var thread = new Thread(() => outcome = Parse(input, directory), StackSize) { IsBackground = true, Name = $"fuzz #{input.Index}" };
        thread.Start();
        var finished = thread.Join(limit);
        self.Refresh();
        var elapsed = self.TotalProcessorTime - cpu;
        if (directory is not null && finished)
        {
            Directory.Delete(directory, recursive: true);
        }

        return (finished ? outcome : null, elapsed);
    }

    private static Outcome Parse(FuzzInput input, string? directory)
    {
        try
        {
            var options = new HoconParseOptions { EnvironmentVariables = _ => null, BaseDirectory = directory ?? Path.GetTempPath() };
            var document = directory is null
                ? HoconParser.Parse(input.Text, "fuzz.conf", options)
                : HoconParser.ParseFile(Path.Combine(directory, "f0.conf"), options);
            return new Outcome.Parsed(CheckRender(document, input.Text, directory));
        }
        catch (HoconException e)
        {
            return new Outcome.Refused(e);
        }
#pragma warning disable CA1031 // Any other exception is what the fuzzer is looking for.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new Outcome.Crashed(e);
        }
    }

    /// <summary>
    /// The document as configuration keys, rendered back as HOCON (what <c>agent --check</c> prints) and
    /// parsed again, must give the same keys and values; unknown-key checking must not throw.
    /// </summary>
    private static string? CheckRender(HoconObject document, string text, string? directory)
    {
        var flat = document.Flatten().ToList();
        if (flat.Count > MaxRenderedKeys
            || flat.Select(kv => kv.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count() != flat.Count
            || flat.Any(kv => kv.Key.Split(':').Any(segment => segment.Length == 0 || segment != segment.Trim())))
        {
            // Configuration keys ignore case and cannot have empty segments: such a document does not
            // survive the trip through Microsoft.Extensions.Configuration, whoever renders it.
            return null;
        }

        var root = directory is null
            ? new ConfigurationBuilder().AddHoconString(text, "fuzz.conf").Build()
            : new ConfigurationBuilder().AddHoconFile(Path.Combine(directory, "f0.conf")).Build();
        _ = KnownKeys.FromReference(document).FindUnknown(root.Providers.Single());
        var rendered = EffectiveConfiguration.Render(root, _ => false);
        HoconObject again;
        try
        {
            again = HoconParser.Parse(rendered, "rendered.conf", new HoconParseOptions { EnvironmentVariables = _ => null });
        }
        catch (HoconException e)
        {
            return $"the rendering does not parse: {e.Message}\n{Clip(rendered)}";
        }

        var expected = root.AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).ToList();
        var actual = new ConfigurationBuilder().AddInMemoryCollection(again.Flatten()).Build()
            .AsEnumerable().Where(kv => kv.Value is not null).OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).ToList();
        if (!expected.SequenceEqual(actual))
        {
            var first = expected.Zip(actual).FirstOrDefault(p => p.First.Key != p.Second.Key || p.First.Value != p.Second.Value);
            return $"rendered keys differ ({expected.Count} vs {actual.Count}): {first.First} vs {first.Second}\n{Clip(rendered)}";
        }

        return null;
    }

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "…";

    private abstract record Outcome
    {
        public sealed record Parsed(string? RenderProblem) : Outcome;

        public sealed record Refused(HoconException Error) : Outcome;

        public sealed record Crashed(Exception Error) : Outcome;
    }
}

/// <summary>Where the fuzzer's settings come from: the environment, so the long run is the same test with bigger numbers.</summary>
public static class FuzzSettings
{
    public static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public static string Lines(IEnumerable<string> items, int max = 10)
    {
        var list = items.ToList();
        var sb = new StringBuilder();
        foreach (var item in list.Take(max))
        {
            sb.Append("\n  ").Append(item);
        }

        if (list.Count > max)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n  … and {list.Count - max} more");
        }

        return sb.ToString();
    }
}
