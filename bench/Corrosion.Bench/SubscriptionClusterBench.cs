using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Corrosion.Bench.Replication;

namespace Corrosion.Bench;

/// <summary>
/// `subscriptions-cluster` suite: N whole nodes (default 3; HTTP and gossip over loopback), in this
/// process or, with <c>--processes</c>, each in its own process; one live query
/// <c>SELECT k, v FROM kv</c> on every node over HTTP; open-loop inserts on node 0. Measures write
/// sent → change event at the subscriber of the writing node, and at the subscribers of all nodes
/// (the last of them), p50 / p99. <c>--warmup S</c> first writes at the same rate for S seconds and
/// does not count those writes. <c>--cli PATH</c> runs each node as a <c>corrosion agent</c> process
/// instead (<c>corrosion.dll</c>, or the NativeAOT executable), plaintext gossip, SWIM defaults.
/// </summary>
internal static class SubscriptionClusterBench
{
    public static int Run(string[] args)
    {
        var processes = false;
        string? cli = null;
        var warmup = 0;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--warmup" && i + 1 < args.Length)
            {
                warmup = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--cli" && i + 1 < args.Length)
            {
                cli = args[++i];
            }
            else if (args[i] == "--processes")
            {
                processes = true;
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        var nodes = rest.Count > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 3;
        var rate = rest.Count > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 100;
        var seconds = rest.Count > 2 ? int.Parse(rest[2], CultureInfo.InvariantCulture) : 15;
        RunAsync(Console.Out, nodes, rate, TimeSpan.FromSeconds(seconds), processes, TimeSpan.FromSeconds(warmup), cli).GetAwaiter().GetResult();
        return 0;
    }

    public static async Task RunAsync(TextWriter output, int size, int writesPerSecond, TimeSpan duration, bool processes = false, TimeSpan warmup = default, string? cli = null)
    {
        IAsyncDisposable cluster;
        IReadOnlyList<Uri> addresses;
        if (cli is not null)
        {
            var agents = await AgentCluster.StartAsync(cli, size);
            (cluster, addresses) = (agents, agents.ApiAddresses);
        }
        else if (processes)
        {
            var started = await ProcessCluster.StartAsync(size);
            (cluster, addresses) = (started, started.ApiAddresses);
        }
        else
        {
            var started = await BenchCluster.StartAsync(size);
            (cluster, addresses) = (started, started.Nodes.Select(n => n.ApiAddress).ToList());
        }

        await using var running = cluster;
        using var stop = new CancellationTokenSource();
        // Per key: when each node's subscriber saw it.
        var seen = new ConcurrentDictionary<string, long[]>();
        var sentAt = new ConcurrentDictionary<string, long>();
        var clients = addresses.Select(a => new HttpClient { BaseAddress = a, Timeout = Timeout.InfiniteTimeSpan }).ToList();
        try
        {
            var readers = new List<Task>();
            for (var i = 0; i < size; i++)
            {
                readers.Add(await SubscribeAsync(clients[i], i, size, seen, stop.Token));
            }

            // Warm-up: a few writes that every subscriber must see before measuring.
            for (var i = 0; i < 20; i++)
            {
                await InsertAsync(clients[0], $"warm-{i}", sentAt);
            }

            await WaitAsync(() => Enumerable.Range(0, 20).All(i => seen.TryGetValue($"warm-{i}", out var at) && at.All(t => t > 0)), TimeSpan.FromSeconds(60));

            if (warmup > TimeSpan.Zero)
            {
                await WriteAtRateAsync(clients[0], "w-", writesPerSecond, warmup, sentAt);
            }

            var sent = await WriteAtRateAsync(clients[0], "k-", writesPerSecond, duration, sentAt);
            var keys = Enumerable.Range(0, sent).Select(i => $"k-{i}").ToList();
            await WaitAsync(() => keys.All(k => seen.TryGetValue(k, out var at) && at.All(t => t > 0)), TimeSpan.FromSeconds(30));
            await stop.CancelAsync();

            var local = new List<double>();
            var all = new List<double>();
            var missing = 0;
            foreach (var key in keys)
            {
                if (!seen.TryGetValue(key, out var at) || at.Any(t => t == 0))
                {
                    missing++;
                    continue;
                }

                var start = sentAt[key];
                local.Add(Stopwatch.GetElapsedTime(start, at[0]).TotalMilliseconds);
                all.Add(Stopwatch.GetElapsedTime(start, at.Max()).TotalMilliseconds);
            }

            var where = cli is not null ? $"as `corrosion agent` processes ({Path.GetFileName(cli)})" : processes ? "one process per node" : "in one process";
            var warm = warmup > TimeSpan.Zero ? FormattableString.Invariant($", after {warmup.TotalSeconds:0} s of the same writes not counted") : string.Empty;
            output.WriteLine(FormattableString.Invariant($"## subscriptions-cluster: {size} nodes {where}, a live query on each, inserts on node 0 at {writesPerSecond}/s for {duration.TotalSeconds:0} s{warm}"));
            output.WriteLine();
            output.WriteLine($"- write sent → change event at node 0's subscriber: {Percentiles.Summary(local)}");
            output.WriteLine($"- write sent → change event at the subscribers of all {size} nodes (the last): {Percentiles.Summary(all)}");
            output.WriteLine(FormattableString.Invariant($"- writes whose event did not reach every subscriber within 30 s: {missing} of {sent}"));
            output.WriteLine();
            await Task.WhenAll(readers);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Open-loop inserts of keys prefix0, prefix1, … at the rate for the duration; returns how many were sent.</summary>
    private static async Task<int> WriteAtRateAsync(HttpClient http, string prefix, int writesPerSecond, TimeSpan duration, ConcurrentDictionary<string, long> sentAt)
    {
        var interval = TimeSpan.FromSeconds(1.0 / writesPerSecond);
        var watch = Stopwatch.StartNew();
        var writes = new List<Task>();
        var sent = 0;
        while (watch.Elapsed < duration)
        {
            var wait = (interval * sent) - watch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            writes.Add(InsertAsync(http, $"{prefix}{sent}", sentAt));
            sent++;
        }

        await Task.WhenAll(writes);
        return sent;
    }

    private static async Task InsertAsync(HttpClient http, string key, ConcurrentDictionary<string, long> sentAt)
    {
        sentAt[key] = Stopwatch.GetTimestamp();
        var body = JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO kv (k, v) VALUES (?, ?)", new[] { key, "x" } } });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"write {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Opens the live query on one node and returns the task reading its events (until cancelled).</summary>
    private static async Task<Task> SubscribeAsync(HttpClient http, int node, int size, ConcurrentDictionary<string, long[]> seen, CancellationToken stop)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/subscriptions?skip_rows=true", UriKind.Relative))
        {
            Content = new StringContent("""["SELECT k, v FROM kv"]""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
        response.EnsureSuccessStatusCode();
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
        while (await reader.ReadLineAsync(stop) is { } line && !line.StartsWith("{\"eoq\"", StringComparison.Ordinal))
        {
        }

        return Task.Run(async () =>
        {
            using (response)
            using (reader)
            {
                try
                {
                    while (await reader.ReadLineAsync(stop) is { } line)
                    {
                        var received = Stopwatch.GetTimestamp();
                        using var doc = JsonDocument.Parse(line);
                        if (doc.RootElement.TryGetProperty("change", out var change))
                        {
                            var key = change[2][0].GetString()!;
                            var at = seen.GetOrAdd(key, _ => new long[size]);
                            Interlocked.CompareExchange(ref at[node], received, 0);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (IOException)
                {
                }
            }
        }, CancellationToken.None);
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan deadline)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < deadline)
        {
            await Task.Delay(20);
        }
    }
}
