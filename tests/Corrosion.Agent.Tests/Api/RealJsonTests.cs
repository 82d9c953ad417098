using System.Globalization;
using System.Net;
using System.Text.Json;
using Corrosion.Agent.Tests.Subscriptions;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// A REAL is written so a client can tell it from an INTEGER (7.0, not 7, as Corrosion's serde_json
/// writes it) and reads back as the same double, in every place rows go out as JSON: queries,
/// subscriptions (rows and changes) and update notifications.
/// </summary>
public sealed class RealJsonTests
{
    // v has no declared type, so SQLite keeps each value's storage class as given.
    private const string Schema = """
        CREATE TABLE m (id INTEGER NOT NULL PRIMARY KEY, v);
        CREATE TABLE r (k REAL NOT NULL PRIMARY KEY, note TEXT);
        """;

    /// <summary>JSON number text of a parameter, and the double SQLite stores for it.</summary>
    public static TheoryData<string> Reals => new()
    {
        "7.0", "-0.0", "0.0", "0.1", "-2.5", "1e16", "1e300", "-2.5e-300", "5e-324", "123456789.125",
        "9007199254740993.0", "1.7976931348623157e308", "9e999", "-9e999",
    };

    [Theory]
    [MemberData(nameof(Reals))]
    public async Task A_real_parameter_reads_back_from_queries_as_a_real_with_the_same_bits(string json)
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (written, body) = await HttpJson.PostAsync(node.Http, "/v1/transactions", $"""[["INSERT INTO m (id, v) VALUES (1, ?)", [{json}]]]""");
        Assert.True(written == HttpStatusCode.OK, body.ToString());

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT v, typeof(v) FROM m\"");

        Assert.Equal(HttpStatusCode.OK, status);
        var cells = lines[1].GetProperty("row")[1];
        Assert.Equal("real", cells[1].GetString());
        AssertReal(Parse(json), cells[0]);
    }

    [Fact]
    public async Task Integral_reals_keep_a_fraction_and_integers_stay_integers_in_a_query()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);

        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT 7.0, 7, -0.0, 1e20, 9e999, -9e999, 0.0 / 0, CAST(3 AS REAL)\"");

        Assert.Equal(["7.0", "7", "-0.0", "1E+20", "9e999", "-9e999", "null", "3.0"], lines[1].GetProperty("row")[1].EnumerateArray().Select(c => c.GetRawText()));
    }

    [Fact]
    public async Task Subscription_rows_and_changes_write_reals_as_reals()
    {
        await using var node = await SubscriptionApiNode.StartAsync(schema: Schema);
        await node.WriteAsync("INSERT INTO m (id, v) VALUES (1, 7.0)", "INSERT INTO m (id, v) VALUES (2, 7)");
        await using var stream = await node.SubscribeAsync("SELECT id, v FROM m ORDER BY id");

        var initial = await stream.NextAsync(4);
        await node.WriteAsync("INSERT INTO m (id, v) VALUES (3, 1e300)", "UPDATE m SET v = -0.0 WHERE id = 2");
        var changes = await stream.NextAsync(2);

        Assert.Equal(["7.0", "7"], initial.Where(l => l.TryGetProperty("row", out _)).Select(l => l.GetProperty("row")[1][1].GetRawText()));
        var changed = changes.Select(l => l.GetProperty("change")).ToDictionary(c => c[2][0].GetInt64(), c => c[2][1]);
        AssertReal(1e300, changed[3]);
        AssertReal(-0.0, changed[2]);
    }

    [Fact]
    public async Task Update_notifications_write_a_real_primary_key_as_a_real()
    {
        await using var node = await SubscriptionApiNode.StartAsync(schema: Schema);
        await using var stream = await node.WatchAsync("r");

        await node.WriteAsync("INSERT INTO r (k, note) VALUES (7.0, 'seven'), (0.5, 'half')");
        var lines = await stream.NextAsync(2);

        Assert.Equal(["[0.5]", "[7.0]"], lines.Select(l => l.GetProperty("notify")[1].GetRawText()).Order(StringComparer.Ordinal));
    }

    private static double Parse(string json) => double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The cell is a JSON number that no reader takes for an integer, and it parses to exactly <paramref name="expected"/>.</summary>
    private static void AssertReal(double expected, JsonElement cell)
    {
        Assert.Equal(JsonValueKind.Number, cell.ValueKind);
        var text = cell.GetRawText();
        Assert.True(text.AsSpan().IndexOfAny(".eE") >= 0, $"{text} reads as an integer");
        Assert.False(cell.TryGetInt64(out _), $"{text} reads as an integer");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(Parse(text)));
    }
}
