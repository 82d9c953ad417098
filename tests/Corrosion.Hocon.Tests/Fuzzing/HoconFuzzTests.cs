using Xunit.Abstractions;

namespace Corrosion.Hocon.Tests.Fuzzing;

/// <summary>
/// Generated HOCON inputs: the parser answers each with a document or a <see cref="HoconException"/>
/// that says where, never another exception, a stack overflow or a hang. CI runs a seeded subset; the
/// full run is the same test with <c>HOCON_FUZZ_INPUTS=100000</c> (bench/RESULTS.md, "fuzz").
/// </summary>
public sealed class HoconFuzzTests(ITestOutputHelper output)
{
    /// <summary>Inputs in the CI run; HOCON_FUZZ_INPUTS overrides.</summary>
    private const int CiInputs = 2_000;

    [Fact]
    public void Generated_inputs_parse_or_fail_with_a_positioned_HoconException_within_the_time_limit()
    {
        var seed = FuzzSettings.Read("HOCON_FUZZ_SEED", 20261206);
        var count = FuzzSettings.Read("HOCON_FUZZ_INPUTS", CiInputs);
        var from = FuzzSettings.Read("HOCON_FUZZ_FROM", 0);
        // A hang never ends; a slow parse on a loaded machine does (a 1 MB value took 10 s of wall clock
        // at load 80 on 2 cores), so the limit is generous and the report gives each input's CPU time.
        var limit = TimeSpan.FromSeconds(FuzzSettings.Read("HOCON_FUZZ_LIMIT_SECONDS", 120));
        using var scratch = new TempDirectory();
        var inputs = new HoconInputs(seed, Seeds(), scratch.Path);

        var report = new HoconFuzzer(inputs, limit).Run(from, count);

        output.WriteLine(report.Summary(seed));
        var problems = FuzzSettings.Lines(report.Crashes.Select(c => "crash " + c), 5) + FuzzSettings.Lines(report.Hangs.Select(h => "hang " + h), 5)
            + FuzzSettings.Lines(report.Unplaced.Select(u => "no position " + u), 5) + FuzzSettings.Lines(report.RenderMismatches.Select(r => "render " + r), 5);
        Assert.True(report.Crashes.Count + report.Hangs.Count + report.Unplaced.Count + report.RenderMismatches.Count == 0, report.Summary(seed) + problems);
        Assert.True(report.Parsed > count / 20 && report.Refused > count / 20, report.Summary(seed));
    }

    /// <summary>Valid documents to mutate: the repository's reference.conf and examples, and features they do not use.</summary>
    internal static IEnumerable<string> Seeds()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "seeds");
        foreach (var file in Directory.EnumerateFiles(dir, "*.conf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            yield return File.ReadAllText(file);
        }

        yield return "a = [1, 2]\na += 3\nb = ${a} [4]\nc { d = ${?missing} \"x\" }\ne = \"\"\"multi\nline\"\"\"\nf : { g : 1 } { h : 2 }\n";
        yield return "{ \"json\": [ {\"k\": null}, true, 1.5e3 ], \"s\": \"\\u00e9\\t\" }";
        yield return "x = ${y}\ny { p = 1, q = ${x.p} }\nz = ${y} { r = 2 }\npath = /bin\npath = ${path}\":/usr/bin\"\n";
        yield return "include \"nowhere.conf\"\nsizes { a = 64KiB, b = 10 MB }\ndurations { a = 500ms, b = 2 h, c = infinite }\n";
    }
}
