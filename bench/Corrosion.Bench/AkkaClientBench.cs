using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Corrosion.Agent.Node;
using Corrosion.Client;
using Corrosion.Client.Akka;
using Corrosion.Client.Akka.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench;

/// <summary>
/// `akka-client` suite: one insert as a round trip over Akka.Remote (<see cref="CorrosionAkkaClient.ExecuteAsync(string, object?[])"/>,
/// an Ask to the node's gateway) and over HTTP (<c>POST /v1/transactions</c>), against the same node on
/// loopback, sequentially, in one run (interleaved in rounds so drift in machine load hits both alike);
/// then write-to-event latency through the Akka client's subscription and through the HTTP client's
/// (<c>CorrosionClient.SubscribeAsync</c>), interleaved the same way.
/// </summary>
internal static class AkkaClientBench
{
    private const int Rounds = 10;

    public static async Task RunAsync(TextWriter output, int requests)
    {
        using var dir = new BenchDirectory();
        var options = new NodeOptions();
        options.Db.Path = dir.File("akka.db");
        options.Api.Addr = "127.0.0.1:0";
        options.AkkaApi.Enabled = true;
        options.AkkaApi.Addr = "127.0.0.1:0";
        await using var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = node.ApiAddress };
        var system = ActorSystem.Create("bench-client", CorrosionAkkaClient.ActorSystemConfig()
            .WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        var clientOptions = new CorrosionAkkaClientOptions();
        clientOptions.Nodes.Add(node.AkkaApiAddress!);
        using var client = new CorrosionAkkaClient(system, clientOptions);
        try
        {
            var id = 0;
            async Task<double> ViaAkka()
            {
                var n = Interlocked.Increment(ref id);
                var started = Stopwatch.GetTimestamp();
                await client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"a-{n}", "ams");
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            Task<double> ViaHttp() => HttpBench.TimedInsertAsync(http, $"h-{Interlocked.Increment(ref id)}");

            for (var i = 0; i < 500; i++)
            {
                await ViaAkka();
                await ViaHttp();
            }

            var akka = new List<double>(requests);
            var httpLatencies = new List<double>(requests);
            for (var round = 0; round < Rounds; round++)
            {
                for (var i = 0; i < requests / Rounds; i++)
                {
                    akka.Add(await ViaAkka());
                }

                for (var i = 0; i < requests / Rounds; i++)
                {
                    httpLatencies.Add(await ViaHttp());
                }
            }

            output.WriteLine("## akka-client: one insert, round trip, loopback, sequential, one client");
            output.WriteLine();
            output.WriteLine($"- Akka.Remote (CorrosionAkkaClient.ExecuteAsync, Ask to /user/corrosion/client): {Percentiles.Summary(akka)}");
            output.WriteLine($"- HTTP (POST /v1/transactions, HttpClient): {Percentiles.Summary(httpLatencies)}");

            // Write → event: the time from sending an insert to its change arriving through a subscription,
            // the Akka client's and the HTTP client's (CorrosionClient, POST /v1/subscriptions) on the same
            // node, interleaved in rounds. Every insert is written by the Akka client, so only the event path differs.
            await using var akkaSubscription = await client.SubscribeAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "events-akka"), skipRows: true);
            await using var akkaEvents = akkaSubscription.GetAsyncEnumerator();
            await akkaEvents.MoveNextAsync(); // end of query
            using var httpClient = new CorrosionClient(node.ApiAddress);
            await using var httpSubscription = await httpClient.SubscribeAsync(ClientStatement.Of("SELECT id FROM machines WHERE region = ?", "events-http"), new SubscribeOptions { SkipRows = true });
            await using var httpEvents = httpSubscription.GetAsyncEnumerator();
            await httpEvents.MoveNextAsync(); // end of query

            var written = 0;
            async Task<double> ToEvent(string region, Func<ValueTask<bool>> next)
            {
                var n = Interlocked.Increment(ref written);
                var started = Stopwatch.GetTimestamp();
                await client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"e-{n}", region);
                if (!await next())
                {
                    throw new InvalidOperationException($"the {region} subscription ended");
                }

                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            Task<double> ViaAkkaEvents() => ToEvent("events-akka", akkaEvents.MoveNextAsync);
            Task<double> ViaHttpEvents() => ToEvent("events-http", httpEvents.MoveNextAsync);
            for (var i = 0; i < 50; i++)
            {
                await ViaAkkaEvents();
                await ViaHttpEvents();
            }

            var perPath = Math.Min(requests, 500);
            var akkaToEvent = new List<double>(perPath);
            var httpToEvent = new List<double>(perPath);
            for (var round = 0; round < Rounds; round++)
            {
                for (var i = 0; i < perPath / Rounds; i++)
                {
                    akkaToEvent.Add(await ViaAkkaEvents());
                }

                for (var i = 0; i < perPath / Rounds; i++)
                {
                    httpToEvent.Add(await ViaHttpEvents());
                }
            }

            output.WriteLine($"- write → event through the Akka client's subscription (write by Akka, event by Akka): {Percentiles.Summary(akkaToEvent)}");
            output.WriteLine($"- write → event through the HTTP subscription (write by Akka, event by CorrosionClient.SubscribeAsync): {Percentiles.Summary(httpToEvent)}");
            output.WriteLine();
        }
        finally
        {
            await system.Terminate();
        }
    }
}
