using System.Text.Json;
using Corrosion.Client.Tests.Support;

namespace Corrosion.Client.Tests;

/// <summary><c>corrosion subscribe</c> as a process against a real node.</summary>
public sealed class SubscribeCommandTests
{
    private static string Addr(RealNode node) => $"127.0.0.1:{node.Address.Port}";

    [Fact]
    public async Task Subscribe_prints_rows_and_changes_as_they_arrive_and_ctrl_c_exits_0()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        await client.ExecuteAsync("INSERT INTO machines (id, name) VALUES (1, 'm1')");

        await using var cli = CliProcess.Start("subscribe", "SELECT id, name FROM machines WHERE id > ?", "--param", "0", "--api-addr", Addr(node));
        var header = await cli.ReadUntilAsync(l => l.StartsWith("# subscription", StringComparison.Ordinal));
        var row = await cli.ReadUntilAsync(l => l.StartsWith("row", StringComparison.Ordinal));
        await cli.ReadUntilAsync(l => l.StartsWith("eoq change_id=", StringComparison.Ordinal));
        await client.ExecuteAsync("INSERT INTO machines (id, name) VALUES (2, 'm2')");
        var change = await cli.ReadUntilAsync(l => l.StartsWith("insert", StringComparison.Ordinal));
        await cli.InterruptAsync();
        var (exit, stderr) = await cli.WaitForExitAsync();

        Assert.Contains("columns: id|name", header, StringComparison.Ordinal);
        Assert.Equal("row 1: 1|m1", row);
        Assert.Matches(@"^insert \d+ @\d+: 2\|m2$", change);
        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, stderr);
    }

    [Fact]
    public async Task Subscribe_resumes_by_id_and_prints_json_lines()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        string id;
        long last;
        await using (var sub = await client.SubscribeAsync("SELECT id, name FROM machines", new SubscribeOptions { SkipRows = true }))
        {
            await Events.TakeAsync(sub, 1);
            (id, last) = (sub.QueryId, sub.LastChangeId!.Value);
        }

        await client.ExecuteAsync("INSERT INTO machines (id, name) VALUES (7, 'm7')");
        await using var cli = CliProcess.Start("subscribe", "--id", id, "--from", last.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json", "--api-addr", Addr(node));
        var columns = await cli.ReadUntilAsync(_ => true);
        var change = await cli.ReadUntilAsync(l => l.Contains("\"change\"", StringComparison.Ordinal));
        await cli.InterruptAsync();
        var (exit, _) = await cli.WaitForExitAsync();

        Assert.Equal("""{"columns":["id","name"]}""", columns);
        using var doc = JsonDocument.Parse(change);
        var c = doc.RootElement.GetProperty("change");
        Assert.Equal("insert", c[0].GetString());
        Assert.Equal("m7", c[2][1].GetString());
        Assert.Equal(last + 1, c[3].GetInt64());
        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Subscribe_to_a_bad_statement_prints_the_error_and_exits_1()
    {
        await using var node = await RealNode.StartAsync();

        await using var cli = CliProcess.Start("subscribe", "SELECT * FROM nope", "--api-addr", Addr(node));
        var (exit, stderr) = await cli.WaitForExitAsync();

        Assert.Equal(1, exit);
        Assert.StartsWith("corrosion subscribe:", stderr, StringComparison.Ordinal);
        Assert.Contains("nope", stderr, StringComparison.Ordinal);
    }
}
