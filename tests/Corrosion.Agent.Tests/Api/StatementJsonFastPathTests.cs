using System.Text;
using System.Text.Json;
using Corrosion.Agent.Api;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// The one-pass reader of <c>/v1/transactions</c> bodies (<see cref="StatementJson.TryParseMany"/>) takes
/// the common shapes and gives exactly the statements the document path gives; anything else it leaves
/// to the document path (its error messages included).
/// </summary>
public sealed class StatementJsonFastPathTests
{
    public static TheoryData<string> Taken => new()
    {
        """[["INSERT INTO machines (id, region) VALUES (?, ?)", ["m-1", "ams"]]]""",
        """["INSERT INTO t VALUES (1)"]""",
        """["INSERT INTO t VALUES (1)", ["UPDATE t SET a = ?", [1, -2, 3.5, 1e300, true, false, null, "x\u00e9\ud83d\ude00"]]]""",
        """[["SELECT 1"], ["SELECT ?", null], ["SELECT ?", []]]""",
        """[["INSERT INTO t VALUES (:a, @b, $c)", {":a": 1, "@b": "two", "$c": null, "d": 9223372036854775807}]]""",
        """[["INSERT INTO t VALUES (:a)", {"a": 1, "a": 2}]]""",
        """ [ "SELECT 1" ] """,
        """[["SELECT ?", [1.0, -0.0, 12345678901234567890, 9e999, -9e999]]]""",
    };

    public static TheoryData<string> LeftToTheDocument => new()
    {
        // Other shapes and blobs: valid, read by the document path.
        """[{"query": "SELECT ?", "params": [1]}]""",
        """[["SELECT ?", [[1, 2, 3]]]]""",
        """[["SELECT ?", [{"blob": "0a0b"}]]]""",
        // Errors: the document path names them.
        """[]""",
        """{"query": "SELECT 1"}""",
        """[" "]""",
        """[["SELECT 1", [1], 3]]""",
        """[["SELECT 1", 5]]""",
        """[[1]]""",
        """[["SELECT ?", {"": 1}]]""",
        """[["SELECT ?", ["\ud800"]]]""",
        """["SELECT 1"] x""",
        """["SELECT 1",]""",
        """["SELECT 1" """,
        """[["SELECT ?", [1]], 7]""",
    };

    [Theory]
    [MemberData(nameof(Taken))]
    public void Common_shapes_are_read_in_one_pass_as_the_document_path_reads_them(string body)
    {
        Assert.True(StatementJson.TryParseMany(Encoding.UTF8.GetBytes(body), out var fast));
        using var document = JsonDocument.Parse(body);
        var slow = StatementJson.ParseMany(document.RootElement);
        Assert.Equal(Describe(slow), Describe(fast));
    }

    [Theory]
    [MemberData(nameof(LeftToTheDocument))]
    public void Other_shapes_and_errors_are_left_to_the_document_path(string body)
    {
        Assert.False(StatementJson.TryParseMany(Encoding.UTF8.GetBytes(body), out var statements));
        Assert.Null(statements);
    }

    private static List<string> Describe(IReadOnlyList<Statement> statements) =>
        statements.Select(s => string.Join(
            " | ",
            s.Sql,
            s.Params is null ? "no params" : string.Join(", ", s.Params.Select(Describe)),
            s.NamedParams is null ? "no named" : string.Join(", ", s.NamedParams.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Describe(p.Value)}"))))
        .ToList();

    private static string Describe(SqlValue value) => value.Kind switch
    {
        SqlValueKind.Null => "null",
        SqlValueKind.Integer => FormattableString.Invariant($"int {value.AsInteger}"),
        SqlValueKind.Real => FormattableString.Invariant($"real {value.AsReal:R}"),
        SqlValueKind.Text => $"text {value.AsText}",
        _ => $"blob {Convert.ToHexString(value.AsBlob)}",
    };
}
