using System.Text.Json.Serialization;

namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// A multi-replica scenario: the schema, the replicated tables, rounds of writes (each replica in
/// isolation, then a full exchange), and the queries whose results are compared after each round.
/// The same JSON drives cr-sqlite (<c>crsqlite/replay.mjs</c>) and our stores.
/// </summary>
public sealed record Scenario(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("tables")] IReadOnlyList<string> Tables,
    [property: JsonPropertyName("replicas")] int Replicas,
    [property: JsonPropertyName("rounds")] IReadOnlyList<Round> Rounds,
    [property: JsonPropertyName("dumps")] IReadOnlyList<string> Dumps)
{
    /// <summary>The scenario as C# source, for pinning a disagreement as a named test.</summary>
    public override string ToString() =>
        string.Join("\n", Rounds.Select((r, i) => $"round {i}:\n" + string.Join("\n", r.Writes.Select(w => $"  replica {w.Replica}: {string.Join("; ", w.Statements)}"))));
}

/// <summary>One round: writes run in order, each on its replica, before the exchange.</summary>
public sealed record Round([property: JsonPropertyName("writes")] IReadOnlyList<Write> Writes);

/// <summary>One transaction on one replica.</summary>
public sealed record Write(
    [property: JsonPropertyName("replica")] int Replica,
    [property: JsonPropertyName("statements")] IReadOnlyList<string> Statements);

/// <summary>What one side saw after each round.</summary>
/// <param name="Errors">Per write: null when it committed, else the error.</param>
/// <param name="Tables">Per replica, per dump query: the rows as text.</param>
public sealed record RoundResult(
    [property: JsonPropertyName("errors")] IReadOnlyList<string?> Errors,
    [property: JsonPropertyName("tables")] IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> Tables);

/// <summary>The results of one scenario.</summary>
public sealed record ScenarioResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("rounds")] IReadOnlyList<RoundResult> Rounds);
