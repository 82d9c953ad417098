using System.Diagnostics;
using System.Text;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench;

/// <summary>
/// `http` suite: POST /v1/transactions with one insert over loopback (Kestrel), sequential latency
/// and throughput with 16 concurrent clients.
/// </summary>
internal static class HttpBench
{
    public static async Task RunAsync(TextWriter output, int requests)
    {
        using var dir = new BenchDirectory();
        var options = new NodeOptions();
        options.Db.Path = dir.File("http.db");
        options.Api.Addr = "127.0.0.1:0";
        await using var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        using var http = new HttpClient { BaseAddress = node.ApiAddress };

        var id = 0;
        async Task<double> PostOne()
        {
            var n = Interlocked.Increment(ref id);
            using var content = new StringContent($$"""[["INSERT INTO machines (id, region) VALUES (?, ?)", ["m-{{n}}", "ams"]]]""", Encoding.UTF8, "application/json");
            var started = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        for (var i = 0; i < 500; i++)
        {
            await PostOne();
        }

        var latencies = new List<double>(requests);
        for (var i = 0; i < requests; i++)
        {
            latencies.Add(await PostOne());
        }

        output.WriteLine("## http: POST /v1/transactions, one insert, loopback");
        output.WriteLine();
        output.WriteLine($"- sequential, one client: {Percentiles.Summary(latencies)}");

        const int clients = 16;
        var total = 0;
        var watch = Stopwatch.StartNew();
        var concurrent = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            var mine = new List<double>();
            for (var i = 0; i < requests / 4; i++)
            {
                mine.Add(await PostOne());
            }

            lock (concurrent)
            {
                concurrent.AddRange(mine);
                total += mine.Count;
            }
        }));
        var seconds = watch.Elapsed.TotalSeconds;
        output.WriteLine(FormattableString.Invariant($"- {clients} concurrent clients: {total / seconds:N0} transactions/s; {Percentiles.Summary(concurrent)}"));
        output.WriteLine();
    }
}
