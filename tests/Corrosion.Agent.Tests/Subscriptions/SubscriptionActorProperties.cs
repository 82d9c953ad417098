using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// The live-query property through the real actors: random transactions go through StorageActor
/// (batched in random groups, so several commits fall into one window), and every subscriber's copy,
/// built from its rows and change events, ends equal to the query's result.
/// </summary>
public sealed class SubscriptionActorProperties
{
    private static Gen<List<List<LiveQueryProperties.Op>>> Transactions() =>
        Gen.ListOf(
            Gen.ListOf(
                from kind in Gen.Choose(0, 6)
                from id in Gen.Choose(0, 4)
                from a in Gen.Choose(0, 5)
                from b in Gen.Choose(0, 3)
                select new LiveQueryProperties.Op(kind, id, a, b)).Resize(3).Select(l => l.ToList())).Resize(15).Select(l => l.ToList());

    [Fact]
    public void Subscribers_copies_equal_the_query_after_random_transactions()
    {
        var property = Prop.ForAll(Arb.From(Transactions()), transactions => RunAsync(transactions).GetAwaiter().GetResult());
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(8), property);
    }

    private static async Task<bool> RunAsync(List<List<LiveQueryProperties.Op>> transactions)
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { BatchWindow = TimeSpan.FromMilliseconds(3) });
        await h.WriteAsync("INSERT INTO teams (name, region) VALUES ('red', 'eu'), ('blue', 'us')");
        var streams = new List<(string Sql, SubscriptionStream Stream, ClientCopy Copy)>();
        foreach (var sql in LiveQueryProperties.Queries)
        {
            var stream = await h.SubscribeAsync(sql);
            streams.Add((sql, stream, new ClientCopy(stream)));
        }

        try
        {
            foreach (var tx in transactions)
            {
                var statements = tx.Select(op => new Statement(LiveQueryProperties.Sql(op))).ToList();
                if (statements.Count > 0)
                {
                    await h.WriteAsync(statements);
                }
            }

            foreach (var (sql, stream, copy) in streams)
            {
                await copy.CatchUpAsync(stream, () => h.QueryNow(sql));
            }
        }
        finally
        {
            foreach (var (_, stream, _) in streams)
            {
                await stream.DisposeAsync();
            }
        }

        return true;
    }
}
