using Corrosion.Agent.Storage;

namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// Replays a scenario through our <see cref="CrdtStore"/>s. The full exchange after each round hands
/// every replica the others' changesets (as sync would: <see cref="CrdtStore.ChangesFor"/>) in a
/// seeded random order and grouping, with duplicates, and in chunks as small as one change, so
/// the result must not depend on how changes travel.
/// </summary>
public static class CorrosionReplay
{
    public static ScenarioResult Replay(Scenario scenario, int seed)
    {
        var random = new Random(seed);
        var root = Path.Combine(Path.GetTempPath(), "corro-crsqlite", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var schema = Path.Combine(root, "schema.sql");
        File.WriteAllText(schema, scenario.Schema);
        var stores = new List<CrdtStore>();
        try
        {
            int[] chunks = [1, 2, 3, StoreOptions.DefaultMaxChangesPerChunk];
            for (var i = 0; i < scenario.Replicas; i++)
            {
                var options = new StoreOptions(Path.Combine(root, $"r{i}", "corrosion.db"), [schema], Synchronous: "OFF", ReadPoolSize: 1, MaxChangesPerChunk: chunks[random.Next(chunks.Length)]);
                stores.Add(CrdtStore.Open(options));
            }

            var rounds = new List<RoundResult>();
            foreach (var round in scenario.Rounds)
            {
                var errors = new List<string?>();
                foreach (var write in round.Writes)
                {
                    try
                    {
                        stores[write.Replica].Execute(write.Statements.Select(s => new Statement(s)).ToList());
                        errors.Add(null);
                    }
                    catch (StatementException e)
                    {
                        errors.Add(e.Message);
                    }
                }

                Exchange(stores, random);
                rounds.Add(new RoundResult(errors, stores.Select(s => (IReadOnlyList<IReadOnlyList<string>>)scenario.Dumps.Select(q => Dump(s, q)).ToList()).ToList()));
            }

            return new ScenarioResult(scenario.Name, rounds);
        }
        finally
        {
            foreach (var store in stores)
            {
                store.Dispose();
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Exchange(List<CrdtStore> stores, Random random)
    {
        var outgoing = stores.Select(AllChanges).ToList();
        for (var i = 0; i < stores.Count; i++)
        {
            var incoming = new List<Changeset>();
            for (var j = 0; j < stores.Count; j++)
            {
                if (j != i)
                {
                    incoming.AddRange(outgoing[j]);
                }
            }

            // Duplicates: some changesets arrive twice (from two peers, or a broadcast and a sync).
            incoming.AddRange(incoming.Where(_ => random.Next(4) == 0).ToList());
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(incoming));
            for (var at = 0; at < incoming.Count;)
            {
                var size = random.Next(1, 8);
                stores[i].Apply(incoming.Skip(at).Take(size).ToList());
                at += size;
            }
        }
    }

    private static List<Changeset> AllChanges(CrdtStore store)
    {
        var state = store.GetSyncState();
        return state.Heads.SelectMany(h => store.ChangesFor(h.Key, new VersionRange(1, h.Value))).ToList();
    }

    private static List<string> Dump(CrdtStore store, string query)
    {
        using var result = store.Query(new Statement(query));
        return result.Rows.Select(r => string.Join("|", r.Cells.Select(Cell))).ToList();
    }

    // As replay.mjs renders a cell of a dump query: text as is, a real as its IEEE 754 bits.
    private static string Cell(SqlValue value) => value.Kind switch
    {
        SqlValueKind.Text => value.AsText,
        SqlValueKind.Real => BitConverter.DoubleToInt64Bits(value.AsReal).ToString("X16", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
