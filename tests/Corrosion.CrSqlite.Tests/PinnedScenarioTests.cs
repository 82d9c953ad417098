namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// Every disagreement the differential test found, pinned as a named scenario (shrunk by
/// <see cref="Minimizer"/>) and run through cr-sqlite and our stores; the expected final rows
/// are written out too, so the test says what cr-sqlite does. Twins without Node: the merge rule
/// tests in Corrosion.Agent.Tests (MergeRuleTests, LocalWriteTests).
/// </summary>
public class PinnedScenarioTests
{
    private static Scenario Scenario(string name, int replicas, params Write[][] rounds) =>
        new(name, ScenarioGenerator.Schema, ScenarioGenerator.Tables, replicas, rounds.Select(r => new Round(r)).ToList(), ScenarioGenerator.Dumps);

    private static Write W(int replica, params string[] statements) => new(replica, statements);

    /// <summary>Runs the scenario on both sides, asserts they agree and that table <paramref name="table"/> ends as <paramref name="expected"/>.</summary>
    private static void AgreesWithCrSqlite(Scenario scenario, int table, params string[] expected)
    {
        var reference = CrSqlite.Replay([scenario])[0];
        for (var seed = 0; seed < 2; seed++)
        {
            var ours = CorrosionReplay.Replay(scenario, seed);
            Assert.Null(Differential.Disagreement(scenario, reference, ours));
        }

        Assert.Equal(expected, reference.Rounds[^1].Tables[0][table]);
    }

    // Issue 12, case 1: with SqlValue.CompareTo calling them equal, each replica kept its own.
    [CrSqliteFact]
    public void Integer_2_against_real_2_point_0_in_an_untyped_column()
    {
        AgreesWithCrSqlite(
            Scenario("2 vs 2.0", 2, [W(0, "INSERT INTO c (k, j, v) VALUES ('x', 1, 2)"), W(1, "INSERT INTO c (k, j, v) VALUES ('x', 1, 2.0)")]),
            1,
            "text|78|integer|1|integer|2");
    }

    // Issue 12, case 2: SQLite's ORDER BY order (NULL < numbers < text < blob) picked the other value.
    [CrSqliteTheory]
    [InlineData("1000", "'zzz'", "integer|1000")]
    [InlineData("2", "2.5", "integer|2")]
    [InlineData("'a'", "x'ff'", "text|61")]
    [InlineData("1.5", "'9'", "real|3FF8000000000000")]
    [InlineData("NULL", "x''", "blob|X''")]
    public void Storage_class_decides_a_tie_before_the_value(string first, string second, string winner)
    {
        AgreesWithCrSqlite(
            Scenario("class tie", 2, [W(0, $"INSERT INTO c (k, j, v) VALUES ('x', 1, {first})"), W(1, $"INSERT INTO c (k, j, v) VALUES ('x', 1, {second})")]),
            1,
            "text|78|integer|1|" + winner);
    }

    // Issue 12, case 3: we kept causal length 3 on the REPLACE, so the concurrent update won.
    [CrSqliteTheory]
    [InlineData("INSERT OR REPLACE")]
    [InlineData("REPLACE")]
    public void Replace_of_a_reinserted_row_beats_a_concurrent_update(string verb)
    {
        AgreesWithCrSqlite(
            Scenario("replace after reinsert", 2,
                [W(0, "INSERT INTO t (id, a) VALUES (1, 'first')")],
                [W(0, "DELETE FROM t WHERE id = 1", "INSERT INTO t (id, a) VALUES (1, 'again')")],
                [W(0, $"{verb} INTO t (id, a) VALUES (1, 'replaced')"), W(1, "UPDATE t SET a = 'updated', n = 7 WHERE id = 1")]),
            0,
            "integer|1|text|7265706C61636564|null|NULL|null|NULL|text|64");
    }

    // The upsert form updates: only the changed column gets a version, so the concurrent update
    // with the greater value at the same column version wins.
    [CrSqliteFact]
    public void Upsert_of_a_reinserted_row_is_an_update()
    {
        AgreesWithCrSqlite(
            Scenario("upsert after reinsert", 2,
                [W(0, "INSERT INTO t (id, a) VALUES (1, 'first')")],
                [W(0, "DELETE FROM t WHERE id = 1", "INSERT INTO t (id, a) VALUES (1, 'again')")],
                [W(0, "INSERT INTO t (id, a) VALUES (1, 'upserted') ON CONFLICT (id) DO UPDATE SET a = excluded.a"), W(1, "UPDATE t SET a = 'zz', n = 7 WHERE id = 1")]),
            0,
            "integer|1|text|7A7A|null|NULL|integer|7|text|64");
    }

    // A key-only table's row has a sentinel from its insert, so a REPLACE raises it by 2 and beats
    // a concurrent delete (causal length 2 < 3).
    [CrSqliteFact]
    public void Replace_in_a_key_only_table_beats_a_concurrent_delete()
    {
        AgreesWithCrSqlite(
            Scenario("key-only replace", 2,
                [W(0, "INSERT INTO p (id) VALUES ('x')")],
                [W(0, "INSERT OR REPLACE INTO p (id) VALUES ('x')"), W(1, "DELETE FROM p WHERE id = 'x'")]),
            2,
            "text|78");
    }

    // Found by the generator (seed 4, shrunk): cr-sqlite moves the column clocks to the new key, so
    // the moved b (col_version 2) beats the concurrent insert's b (col_version 1). We gave the
    // moved cells fresh versions (col_version 1), and the integer 0 won the tie.
    [CrSqliteFact]
    public void Key_change_keeps_column_versions_against_a_concurrent_insert_of_the_new_key()
    {
        AgreesWithCrSqlite(
            Scenario("key change vs insert", 4,
                [W(3, "INSERT INTO t (id, a, b, n) VALUES (2, '2', '2', '9')")],
                [W(3, "INSERT OR REPLACE INTO t (id, a, b, n) VALUES (2, 'a', x'0102', 1000)")],
                [W(2, "INSERT INTO t (id, a, b) VALUES (4, x'00', 0) ON CONFLICT (id) DO UPDATE SET a = excluded.a"), W(1, "UPDATE t SET id = 4 WHERE id = 2")]),
            0,
            "integer|4|text|61|blob|X'0102'|integer|1000|text|64");
    }

    // Found by the generator (seed 147, shrunk): the moved row's sentinel of causal length 1 made
    // a peer's later REPLACE raise it to 3 and win; in cr-sqlite the peer has no sentinel for that
    // row (its merge ignores a sentinel of equal causal length), keeps 1, and the upsert's value
    // wins the tie.
    [CrSqliteFact]
    public void Replace_on_a_peer_of_a_row_moved_by_a_key_change_keeps_causal_length_one()
    {
        AgreesWithCrSqlite(
            Scenario("replace of a moved row", 3,
                [W(1, "INSERT INTO t (id, a, b) VALUES (4, 2.5, -0.5)")],
                [W(0, "UPDATE t SET id = 2 WHERE id = 4")],
                [W(1, "INSERT INTO t (id, a, b) VALUES (2, 'a', 'ab') ON CONFLICT (id) DO UPDATE SET a = excluded.a"), W(2, "INSERT OR REPLACE INTO t (id, a, b, n) VALUES (2, x'00', '', 'ab')")]),
            0,
            "integer|2|text|61|text||text|6162|text|64");
    }
}
