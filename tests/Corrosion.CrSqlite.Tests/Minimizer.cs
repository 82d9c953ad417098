namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// Shrinks a disagreeing scenario to a small one that still disagrees (greedy: drop a round, a
/// write or a statement while the disagreement stays), so it can be pinned as a named test.
/// </summary>
public static class Minimizer
{
    public static Scenario Minimize(Scenario scenario, int exchangeSeed)
    {
        var current = scenario;
        while (true)
        {
            var candidates = Smaller(current).ToList();
            if (candidates.Count == 0)
            {
                return current;
            }

            var reference = CrSqlite.Replay(candidates);
            var next = candidates.Select((c, i) => (c, i)).FirstOrDefault(p =>
                Differential.Disagreement(p.c, reference[p.i], CorrosionReplay.Replay(p.c, exchangeSeed)) is not null).c;
            if (next is null)
            {
                return current;
            }

            current = next;
        }
    }

    private static IEnumerable<Scenario> Smaller(Scenario s)
    {
        for (var r = 0; r < s.Rounds.Count; r++)
        {
            yield return s with { Rounds = s.Rounds.Where((_, i) => i != r).ToList() };
        }

        for (var r = 0; r < s.Rounds.Count; r++)
        {
            foreach (var replica in s.Rounds[r].Writes.Select(w => w.Replica).Distinct())
            {
                yield return With(s, r, s.Rounds[r].Writes.Where(w => w.Replica != replica).ToList());
            }
        }

        for (var r = 0; r < s.Rounds.Count; r++)
        {
            var writes = s.Rounds[r].Writes;
            for (var w = 0; w < writes.Count; w++)
            {
                yield return With(s, r, writes.Where((_, i) => i != w).ToList());
                if (writes[w].Statements.Count > 1)
                {
                    for (var st = 0; st < writes[w].Statements.Count; st++)
                    {
                        var statements = writes[w].Statements.Where((_, i) => i != st).ToList();
                        yield return With(s, r, writes.Select((x, i) => i == w ? x with { Statements = statements } : x).ToList());
                    }
                }
            }
        }

        var used = s.Rounds.SelectMany(r => r.Writes).Select(w => w.Replica).DefaultIfEmpty(0).Max() + 1;
        if (used < s.Replicas && used >= 2)
        {
            yield return s with { Replicas = used };
        }
    }

    private static Scenario With(Scenario s, int round, IReadOnlyList<Write> writes) =>
        s with { Rounds = s.Rounds.Select((r, i) => i == round ? new Round(writes) : r).ToList() };
}
