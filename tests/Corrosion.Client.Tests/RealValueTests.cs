using Corrosion.Client.Tests.Support;

namespace Corrosion.Client.Tests;

/// <summary>
/// The node writes a REAL so it can be told from an INTEGER (7.0) and an infinity as SQLite's JSON
/// functions do (9e999); the client reads both back as the same double and keeps INTEGER a long.
/// </summary>
public sealed class RealValueTests
{
    public sealed record Reading(long Id, double Load, object Plain);

    [Fact]
    public async Task Reals_round_trip_through_the_node_as_doubles_and_integers_stay_longs()
    {
        // Not -0.0: SQLite keeps an integral value of a REAL column as an integer on disk, so its sign is lost there.
        double[] reals = [7.0, 0.1, 1e16, 1e300, 5e-324, double.MaxValue, double.PositiveInfinity, double.NegativeInfinity];
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        await client.ExecuteAsync(reals.Select((r, i) => ClientStatement.Of("INSERT INTO machines (id, name, load) VALUES (?, 'm', ?)", i + 1, r)).ToList());

        var read = new List<Reading>();
        await foreach (var r in client.QueryAsync<Reading>("SELECT id, load, load AS plain FROM machines ORDER BY id"))
        {
            read.Add(r);
        }

        Assert.Equal(reals.Select(BitConverter.DoubleToInt64Bits), read.Select(r => BitConverter.DoubleToInt64Bits(r.Load)));
        Assert.All(read, r => Assert.IsType<double>(r.Plain));
        Assert.Equal(reals.Select(BitConverter.DoubleToInt64Bits), read.Select(r => BitConverter.DoubleToInt64Bits((double)r.Plain)));

        var integer = new List<Reading>();
        await foreach (var r in client.QueryAsync<Reading>("SELECT 1 AS id, 7.0 AS load, 7 AS plain"))
        {
            integer.Add(r);
        }

        Assert.Equal(7L, Assert.IsType<long>(Assert.Single(integer).Plain));
    }
}
