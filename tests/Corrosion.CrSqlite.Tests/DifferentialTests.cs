using System.Globalization;
using Xunit.Abstractions;

namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// The differential test against cr-sqlite itself: seeded multi-replica scenarios, compared table
/// by table with storage classes after every round. The CI set is small; the large set runs with
/// <c>CORRO_CRSQLITE_SCENARIOS=N</c> (and <c>CORRO_CRSQLITE_SEED=S</c> for another range):
/// <c>CORRO_CRSQLITE_SCENARIOS=2000 dotnet test tests/Corrosion.CrSqlite.Tests -c Release --filter Generated_scenarios_end_as_in_cr_sqlite</c>.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    private const int CiScenarios = 100;

    [CrSqliteFact]
    public void Generated_scenarios_end_as_in_cr_sqlite()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("CORRO_CRSQLITE_SCENARIOS"), CultureInfo.InvariantCulture, out var n) ? n : CiScenarios;
        var first = int.TryParse(Environment.GetEnvironmentVariable("CORRO_CRSQLITE_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 1;
        var scenarios = Enumerable.Range(first, count).Select(seed => ScenarioGenerator.Generate(seed)).ToList();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var problems = Differential.Compare(scenarios, exchangeSeed: first * 7919);
        output.WriteLine($"{count} scenarios from seed {first} in {watch.Elapsed.TotalSeconds:F1} s: {problems.Count} disagreements");
        foreach (var problem in problems.Take(5))
        {
            output.WriteLine(problem);
        }

        Assert.True(problems.Count == 0, $"{problems.Count} of {count} scenarios disagree with cr-sqlite; first:\n{string.Join("\n\n", problems.Take(3))}");
    }
}

/// <summary>A tool, not a test: <c>CORRO_CRSQLITE_MINIMIZE=seed</c> prints the smallest disagreeing scenario of that seed.</summary>
public class MinimizeTool(ITestOutputHelper output)
{
    [CrSqliteFact]
    public void Minimize_the_seed_named_by_CORRO_CRSQLITE_MINIMIZE()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("CORRO_CRSQLITE_MINIMIZE"), CultureInfo.InvariantCulture, out var seed))
        {
            return;
        }

        var first = int.TryParse(Environment.GetEnvironmentVariable("CORRO_CRSQLITE_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 1;
        var exchangeSeed = first * 7919 + (seed - first);
        var small = Minimizer.Minimize(ScenarioGenerator.Generate(seed), exchangeSeed);
        output.WriteLine($"replicas {small.Replicas}\n{small}");
        var reference = CrSqlite.Replay([small]);
        output.WriteLine(Differential.Disagreement(small, reference[0], CorrosionReplay.Replay(small, exchangeSeed)) ?? "no disagreement");
    }
}
