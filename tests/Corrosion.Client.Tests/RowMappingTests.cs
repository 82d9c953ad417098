using System.Text.Json;

namespace Corrosion.Client.Tests;

/// <summary>The typed mapping on its own: <see cref="CorrosionClient.MapRow{T}"/>.</summary>
public sealed class RowMappingTests
{
    public enum State
    {
        Created = 0,
        Started = 1,
    }

    public sealed class WithRequired
    {
        public required long Id { get; init; }

        public required string Name { get; init; }
    }

    public sealed record WithEnums(State ByNumber, State ByName);

    public sealed record WithUnsupported(long Id, DateTime When);

    public sealed record Everything(long A, int B, double C, string D, bool E, byte[] F, long? G, JsonElement H, object I);

    private static List<JsonElement> Cells(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    [Fact]
    public void Every_supported_type_is_converted()
    {
        var row = CorrosionClient.MapRow<Everything>(["a", "b", "c", "d", "e", "f", "g", "h", "i"], Cells("""[9007199254740993, -5, 2.5, "x", 1, [0, 255], null, {"k": 1}, 3]"""));

        Assert.Equal((9007199254740993L, -5, 2.5, "x", true), (row.A, row.B, row.C, row.D, row.E));
        Assert.Equal(new byte[] { 0, 255 }, row.F);
        Assert.Null(row.G);
        Assert.Equal(1, row.H.GetProperty("k").GetInt32());
        Assert.Equal(3L, row.I);
    }

    [Fact]
    public void Required_properties_must_have_a_column()
    {
        var ok = CorrosionClient.MapRow<WithRequired>(["ID", "name"], Cells("""[1, "n"]"""));
        var error = Assert.Throws<RowMappingException>(() => CorrosionClient.MapRow<WithRequired>(["id"], Cells("[1]")));

        Assert.Equal((1L, "n"), (ok.Id, ok.Name));
        Assert.Contains("WithRequired.Name has no matching column", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enums_map_from_numbers_and_names()
    {
        var row = CorrosionClient.MapRow<WithEnums>(["by_number", "by_name"], Cells("""[1, "started"]"""));

        Assert.Equal(new WithEnums(State.Started, State.Started), row);
    }

    [Fact]
    public void An_unsupported_member_type_is_named()
    {
        var error = Assert.Throws<RowMappingException>(() => CorrosionClient.MapRow<WithUnsupported>(["id", "when"], Cells("[1, 2]")));

        Assert.Contains("WithUnsupported.When", error.Message, StringComparison.Ordinal);
        Assert.Contains("DateTime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_integer_that_does_not_fit_is_refused()
    {
        var error = Assert.Throws<RowMappingException>(() => CorrosionClient.MapRow<Everything>(["a", "b", "c", "d", "e", "f", "g", "h", "i"], Cells("""[1, 3000000000, 2.5, "x", 1, [], null, 0, 0]""")));

        Assert.Contains("column \"b\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("Everything.B", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bool_column_holding_neither_0_nor_1_is_refused()
    {
        var error = Assert.Throws<RowMappingException>(() => CorrosionClient.MapRow<Everything>(["a", "b", "c", "d", "e", "f", "g", "h", "i"], Cells("""[1, 1, 2.5, "x", 2, [], null, 0, 0]""")));

        Assert.Contains("Everything.E", error.Message, StringComparison.Ordinal);
    }
}
