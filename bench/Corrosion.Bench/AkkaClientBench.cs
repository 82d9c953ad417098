using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Corrosion.Agent.Node;
using Corrosion.Client.Akka;
using Corrosion.Client.Akka.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench;

/// <summary>
/// `akka-client` suite: one insert as a round trip over Akka.Remote (<see cref="CorrosionAkkaClient.ExecuteAsync(string, object?[])"/>,
/// an Ask to the node's gateway) and over HTTP (<c>POST /v1/transactions</c>), against the same node on
/// loopback, sequentially, in one run (interleaved in rounds so drift in machine load hits both alike);
/// then write-to-event latency through the Akka client's subscription.
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

            async Task<double> ViaHttp()
            {
                var n = Interlocked.Increment(ref id);
                using var content = new StringContent($$"""[["INSERT INTO machines (id, region) VALUES (?, ?)", ["h-{{n}}", "ams"]]]""", Encoding.UTF8, "application/json");
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

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

            // Write → event: the time from sending an insert to its change arriving through the subscription.
            await using var subscription = await client.SubscribeAsync(SqlStatement.Of("SELECT id FROM machines WHERE region = ?", "events"), skipRows: true);
            await using var events = subscription.GetAsyncEnumerator();
            await events.MoveNextAsync(); // end of query
            var toEvent = new List<double>();
            for (var i = 0; i < Math.Min(requests, 500); i++)
            {
                var started = Stopwatch.GetTimestamp();
                await client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", $"e-{i}", "events");
                await events.MoveNextAsync();
                toEvent.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            output.WriteLine($"- write → event through the Akka client's subscription (write by Akka, event by Akka): {Percentiles.Summary(toEvent)}");
            output.WriteLine();
        }
        finally
        {
            await system.Terminate();
        }
    }
}
