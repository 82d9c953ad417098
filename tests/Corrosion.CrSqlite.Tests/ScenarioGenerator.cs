using System.Globalization;

namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// Seeded multi-replica scenarios over three tables (integer key with untyped, typed and
/// defaulted columns; composite text+integer key; key only), with a small key space so writes
/// collide: inserts (some fail on the key), INSERT OR IGNORE, INSERT OR REPLACE, REPLACE INTO,
/// upserts, updates, deletes, delete-then-reinsert and primary-key changes, with values of every
/// storage class (2 vs 2.0, text vs blob, NULL).
/// </summary>
public static class ScenarioGenerator
{
    public const string Schema = """
        CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, a, b, n INTEGER, s TEXT NOT NULL DEFAULT 'd');
        CREATE TABLE c (k TEXT NOT NULL, j INTEGER NOT NULL, v, PRIMARY KEY (k, j));
        CREATE TABLE p (id TEXT NOT NULL PRIMARY KEY);
        """;

    public static readonly IReadOnlyList<string> Tables = ["t", "c", "p"];

    /// <summary>
    /// Each table's rows with every cell as its storage class and exact bytes, in key order: two
    /// result columns per cell, the class and the value (text as hex; a real as itself, which each
    /// side renders as its IEEE 754 bits, since SQLite 3.44 and 3.50 print some reals differently).
    /// </summary>
    public static readonly IReadOnlyList<string> Dumps =
    [
        $"SELECT {Cells("id", "a", "b", "n", "s")} FROM t ORDER BY id",
        $"SELECT {Cells("k", "j", "v")} FROM c ORDER BY k, j",
        $"SELECT {Cells("id")} FROM p ORDER BY id",
    ];

    private static string Cells(params string[] columns) =>
        string.Join(", ", columns.Select(c => $"typeof({c}), CASE typeof({c}) WHEN 'real' THEN {c} WHEN 'text' THEN hex({c}) ELSE quote({c}) END"));

    private static readonly string[] Values =
    [
        "NULL", "0", "1", "2", "2.0", "2.5", "-1", "1000", "-0.5", "1e300",
        "'a'", "'ab'", "''", "'zzz'", "'9'", "'2'", "'é'", "'2.0'",
        "x''", "x'00'", "x'ff'", "x'0102'", "x'61'",
    ];

    private static readonly string[] TextKeys = ["'x'", "'y'", "'z'"];

    /// <summary>A scenario: 2–4 replicas, 1–4 rounds, 0–4 transactions per replica per round.</summary>
    public static Scenario Generate(int seed, bool keyChanges = true)
    {
        var random = new Random(seed);
        var replicas = random.Next(2, 5);
        var rounds = new List<Round>();
        var roundCount = random.Next(1, 5);
        for (var r = 0; r < roundCount; r++)
        {
            var writes = new List<Write>();
            for (var replica = 0; replica < replicas; replica++)
            {
                var count = random.Next(0, 5);
                for (var w = 0; w < count; w++)
                {
                    var statements = Enumerable.Range(0, random.Next(1, 4)).SelectMany(_ => Statement(random, keyChanges)).ToList();
                    writes.Add(new Write(replica, statements));
                }
            }

            // Writes of different replicas interleave (they are isolated until the exchange anyway).
            rounds.Add(new Round(writes.OrderBy(_ => random.Next()).ToList()));
        }

        return new Scenario($"seed {seed}", Schema, Tables, replicas, rounds, Dumps);
    }

    private static string V(Random random) => Values[random.Next(Values.Length)];

    private static IEnumerable<string> Statement(Random random, bool keyChanges)
    {
        var table = random.Next(10);
        if (table < 6)
        {
            return TStatement(random, keyChanges);
        }

        return table < 9 ? CStatement(random) : PStatement(random);
    }

    private static IEnumerable<string> TStatement(Random random, bool keyChanges)
    {
        var id = random.Next(1, 5).ToString(CultureInfo.InvariantCulture);
        string Insert(string verb) => $"{verb} INTO t (id, a, b, n) VALUES ({id}, {V(random)}, {V(random)}, {V(random)})";
        switch (random.Next(keyChanges ? 13 : 12))
        {
            case 0:
            case 1:
                return [Insert("INSERT")];
            case 2:
                return [Insert("INSERT OR IGNORE")];
            case 3:
                return [Insert("INSERT OR REPLACE")];
            case 4:
                return [Insert("REPLACE")];
            case 5:
                return [$"INSERT INTO t (id, a, b) VALUES ({id}, {V(random)}, {V(random)}) ON CONFLICT (id) DO UPDATE SET a = excluded.a"];
            case 6:
                return [$"INSERT INTO t (id, a) VALUES ({id}, {V(random)}) ON CONFLICT DO NOTHING"];
            case 7:
            case 8:
                return [$"UPDATE t SET a = {V(random)} WHERE id = {id}"];
            case 9:
                return [$"UPDATE t SET b = {V(random)}, n = {V(random)}, s = {V(random)} WHERE id = {id}"];
            case 10:
                return [$"DELETE FROM t WHERE id = {id}"];
            case 11:
                return [$"DELETE FROM t WHERE id = {id}", Insert("INSERT")];
            default:
                return [$"UPDATE t SET id = {random.Next(1, 5)} WHERE id = {id}"];
        }
    }

    private static IEnumerable<string> CStatement(Random random)
    {
        var key = $"{TextKeys[random.Next(TextKeys.Length)]}, {random.Next(1, 3)}";
        var where = $"(k, j) = ({key})";
        return random.Next(7) switch
        {
            0 or 1 => [$"INSERT INTO c (k, j, v) VALUES ({key}, {V(random)})"],
            2 => [$"INSERT OR REPLACE INTO c (k, j, v) VALUES ({key}, {V(random)})"],
            3 => [$"INSERT INTO c (k, j, v) VALUES ({key}, {V(random)}) ON CONFLICT (k, j) DO UPDATE SET v = excluded.v"],
            4 => [$"UPDATE c SET v = {V(random)} WHERE {where}"],
            5 => [$"DELETE FROM c WHERE {where}"],
            _ => [$"DELETE FROM c WHERE {where}", $"INSERT INTO c (k, j, v) VALUES ({key}, {V(random)})"],
        };
    }

    private static IEnumerable<string> PStatement(Random random)
    {
        var id = TextKeys[random.Next(TextKeys.Length)];
        return random.Next(4) switch
        {
            0 => [$"INSERT INTO p (id) VALUES ({id})"],
            1 => [$"INSERT OR REPLACE INTO p (id) VALUES ({id})"],
            2 => [$"DELETE FROM p WHERE id = {id}"],
            _ => [$"INSERT OR IGNORE INTO p (id) VALUES ({id})"],
        };
    }
}
