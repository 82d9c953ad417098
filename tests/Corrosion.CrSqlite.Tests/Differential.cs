using System.Text;

namespace Corrosion.CrSqlite.Tests;

/// <summary>Runs scenarios through cr-sqlite and through our stores and lists every disagreement.</summary>
public static class Differential
{
    /// <summary>The disagreements (empty when every scenario ends the same on both sides).</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<Scenario> scenarios, int exchangeSeed = 0)
    {
        var reference = CrSqlite.Replay(scenarios);
        var problems = new List<string>();
        for (var i = 0; i < scenarios.Count; i++)
        {
            var ours = CorrosionReplay.Replay(scenarios[i], exchangeSeed + i);
            if (Disagreement(scenarios[i], reference[i], ours) is { } problem)
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    /// <summary>Why our result differs from cr-sqlite's, or null when it does not.</summary>
    public static string? Disagreement(Scenario scenario, ScenarioResult reference, ScenarioResult ours)
    {
        for (var r = 0; r < scenario.Rounds.Count; r++)
        {
            var expected = reference.Rounds[r];
            var actual = ours.Rounds[r];
            for (var w = 0; w < expected.Errors.Count; w++)
            {
                if ((expected.Errors[w] is null) != (actual.Errors[w] is null))
                {
                    return Describe(scenario, $"round {r} write {w}: cr-sqlite {expected.Errors[w] ?? "committed"}, ours {actual.Errors[w] ?? "committed"}");
                }
            }

            for (var replica = 1; replica < scenario.Replicas; replica++)
            {
                if (!Same(expected.Tables[0], expected.Tables[replica]))
                {
                    return Describe(scenario, $"round {r}: cr-sqlite itself diverges (replica 0 vs {replica}):\n{Diff(expected.Tables[0], expected.Tables[replica])}");
                }

                if (!Same(actual.Tables[0], actual.Tables[replica]))
                {
                    return Describe(scenario, $"round {r}: our replicas diverge (replica 0 vs {replica}):\n{Diff(actual.Tables[0], actual.Tables[replica])}");
                }
            }

            if (!Same(expected.Tables[0], actual.Tables[0]))
            {
                return Describe(scenario, $"round {r}: ours differs from cr-sqlite:\n{Diff(expected.Tables[0], actual.Tables[0])}");
            }
        }

        return null;
    }

    private static bool Same(IReadOnlyList<IReadOnlyList<string>> a, IReadOnlyList<IReadOnlyList<string>> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));

    private static string Diff(IReadOnlyList<IReadOnlyList<string>> expected, IReadOnlyList<IReadOnlyList<string>> actual)
    {
        var text = new StringBuilder();
        for (var t = 0; t < expected.Count; t++)
        {
            foreach (var row in expected[t].Except(actual[t]))
            {
                text.AppendLine($"  table {t} only in first:  {row}");
            }

            foreach (var row in actual[t].Except(expected[t]))
            {
                text.AppendLine($"  table {t} only in second: {row}");
            }
        }

        return text.ToString();
    }

    private static string Describe(Scenario scenario, string what) => $"{scenario.Name}: {what}\n{scenario}";
}
