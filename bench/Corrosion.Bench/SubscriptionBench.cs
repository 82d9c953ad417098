using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Node;
using Corrosion.Agent.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench;

/// <summary>
/// `subscriptions` suite: one node over loopback HTTP with N live queries open (default 100), each
/// on its own region of the demo <c>machines</c> table, under a steady write load of upserts.
/// Measures the time from sending a write to its change event reaching the subscriber (p50, p99),
/// and the closed-loop write throughput with and without those subscriptions.
/// </summary>
internal static class SubscriptionBench
{
    private const string NicePath = "/usr/bin/nice";
    private const int Machines = 1_000;
    private const int WholeTableRows = 20_000;
    private static int s_readersNice;

    public static int Run(string[] args)
    {
        var subscriptions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15;
        var separate = args.Contains("--separate-readers", StringComparer.Ordinal);
        // With --separate-readers the subscribers' process runs at nice 19 during the throughput phases
        // (they share the node's 2 cores here; elsewhere they are other machines): it takes the CPU the
        // node and its writers leave idle, so the throughput measures the node. --readers-nice 0 keeps
        // them at the bench's own priority (as before session 12).
        var readersNice = 19;
        var niceAt = Array.IndexOf(args, "--readers-nice");
        if (niceAt >= 0 && niceAt + 1 < args.Length)
        {
            readersNice = int.Parse(args[niceAt + 1], CultureInfo.InvariantCulture);
        }

        // The throughput comparison alternates "none" and "N queries" phases of `seconds` each on one
        // node with the same writers, in rounds ordered ABBA, so outside load in one phase decides one
        // round's ratio, not the run's: the median of the rounds' ratios is the figure.
        var rounds = Option(args, "--rounds", 3);
        var warmup = Option(args, "--warmup", 2);
        RunAsync(Console.Out, subscriptions, rate, TimeSpan.FromSeconds(seconds), separate, readersNice, rounds, TimeSpan.FromSeconds(warmup)).GetAwaiter().GetResult();
        return 0;
    }

    private static int Option(string[] args, string name, int defaultValue)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : defaultValue;
    }

    /// <summary>
    /// The subscribers' side alone, in a process of its own (<c>subscriptions-readers</c>, started by
    /// <c>--separate-readers</c>): opens the streams, then answers commands on stdin, one per line —
    /// <c>events</c> (events seen so far), <c>cpu</c> (this process's CPU time in µs), <c>latencies</c>
    /// (every write → event time in ms, comma-separated), <c>close</c> (ends the streams; answers
    /// <c>closed</c>), <c>open</c> (opens them again, fresh counts; answers <c>ready</c>) and <c>stop</c>.
    /// </summary>
    public static int RunReaders(string[] args)
    {
        var address = new Uri(args[0]);
        var subscriptions = int.Parse(args[1], CultureInfo.InvariantCulture);
        var wholeTable = args.Length > 2 && args[2] == "1";
        Subscribers? readers = null;
        try
        {
            readers = OpenReaders(address, subscriptions, wholeTable);
            Console.WriteLine("ready");
            using var process = Process.GetCurrentProcess();
            while (Console.ReadLine() is { } command)
            {
                switch (command)
                {
                    case "events":
                        Console.WriteLine((readers?.Events ?? 0).ToString(CultureInfo.InvariantCulture));
                        break;
                    case "cpu":
                        process.Refresh();
                        Console.WriteLine(process.TotalProcessorTime.TotalMicroseconds.ToString("F0", CultureInfo.InvariantCulture));
                        break;
                    case "latencies":
                        Console.WriteLine(string.Join(",", (readers?.TakeLatencies() ?? []).Select(l => l.ToString("R", CultureInfo.InvariantCulture))));
                        break;
                    case "close":
                        CloseReaders(readers);
                        readers = null;
                        Console.WriteLine("closed");
                        break;
                    case "open":
                        CloseReaders(readers);
                        readers = OpenReaders(address, subscriptions, wholeTable);
                        Console.WriteLine("ready");
                        break;
                    default:
                        return 0;
                }
            }

            return 0;
        }
        finally
        {
            CloseReaders(readers);
        }
    }

    private static Subscribers OpenReaders(Uri address, int subscriptions, bool wholeTable)
    {
        var readers = new Subscribers(address);
        for (var i = 0; i < subscriptions; i++)
        {
            readers.SubscribeAsync(i, wholeTable).GetAwaiter().GetResult();
        }

        return readers;
    }

    private static void CloseReaders(Subscribers? readers)
    {
        if (readers is not null)
        {
            readers.StopAsync().GetAwaiter().GetResult();
            readers.Dispose();
        }
    }

    public static async Task RunAsync(TextWriter output, int subscriptions, int writesPerSecond, TimeSpan duration, bool separate = false, int readersNice = 0, int rounds = 3, TimeSpan? warmup = null)
    {
        var niced = separate && readersNice > 0 && OperatingSystem.IsLinux() && File.Exists(NicePath);
        output.WriteLine(FormattableString.Invariant($"## subscriptions: {subscriptions} live queries on one node, loopback HTTP{(separate ? "; subscribers in a process of their own" : "")}{(niced ? $" (at nice {readersNice} in the throughput phases: they take the CPU the node leaves idle)" : "")}"));
        s_readersNice = niced ? readersNice : 0;
        output.WriteLine();

        if (rounds > 0)
        {
            await ThroughputRoundsAsync(output, subscriptions, duration, separate, rounds, warmup ?? TimeSpan.FromSeconds(2));
        }

        var latency = await LatencyAsync(subscriptions, writesPerSecond, duration, separate);
        output.WriteLine(FormattableString.Invariant($"- write sent → change event at the subscriber, {writesPerSecond} writes/s, {subscriptions} subscriptions: {latency}"));

        var whole = await LatencyAsync(subscriptions: 1, writesPerSecond, duration, separate, WholeTableRows);
        output.WriteLine(FormattableString.Invariant($"- write sent → change event, one subscription over the whole table of {WholeTableRows:N0} rows, new rows inserted, {writesPerSecond} writes/s: {whole}"));
        output.WriteLine();
    }

    private static string Cpu(ThroughputResult result, bool separate) => separate
        ? FormattableString.Invariant($"CPU per write: node + writers {result.CpuMicrosPerWrite:N0} µs, subscribers' process {result.ReadersCpuMicrosPerWrite:N0} µs; context switches per write, node + writers: {result.SwitchesPerWrite:N2} voluntary, {result.InvoluntarySwitchesPerWrite:N2} involuntary")
        : FormattableString.Invariant($"process CPU {result.CpuMicrosPerWrite:N0} µs per write");

    /// <param name="Writes">Writes completed in the phase.</param>
    /// <param name="Seconds">The phase's length.</param>
    /// <param name="Latencies">Every write's HTTP round trip, ms.</param>
    /// <param name="CpuMicros">
    /// CPU time of this process (node, HTTP clients and, unless separate, the subscribers) in the
    /// phase, until every event arrived: less sensitive than throughput to other load on the machine.
    /// </param>
    /// <param name="ReadersCpuMicros">CPU time of the subscribers' own process (separate readers only).</param>
    /// <param name="Switches">Voluntary context switches of this process (a thread going to sleep: each hop between threads costs one or more).</param>
    /// <param name="InvoluntarySwitches">Involuntary ones (preempted: the machine's other load shows here).</param>
    private sealed record ThroughputResult(long Writes, double Seconds, List<double> Latencies, long Events, double CpuMicros, double ReadersCpuMicros, long Switches, long InvoluntarySwitches)
    {
        public double Throughput => Writes / Seconds;

        public double CpuMicrosPerWrite => CpuMicros / Math.Max(Writes, 1);

        public double ReadersCpuMicrosPerWrite => ReadersCpuMicros / Math.Max(Writes, 1);

        public double SwitchesPerWrite => Switches / (double)Math.Max(Writes, 1);

        public double InvoluntarySwitchesPerWrite => InvoluntarySwitches / (double)Math.Max(Writes, 1);

        public string Latency => Percentiles.Summary([.. Latencies]);

        public static ThroughputResult Pooled(IReadOnlyList<ThroughputResult> phases) => new(
            phases.Sum(p => p.Writes),
            phases.Sum(p => p.Seconds),
            [.. phases.SelectMany(p => p.Latencies)],
            phases.Sum(p => p.Events),
            phases.Sum(p => p.CpuMicros),
            phases.Sum(p => p.ReadersCpuMicros),
            phases.Sum(p => p.Switches),
            phases.Sum(p => p.InvoluntarySwitches));
    }

    /// <summary>
    /// Rounds of a "none" and an "N queries" phase on one node with the same 8 writers, ordered ABBA
    /// (none first in odd rounds, queries first in even ones). For a "none" phase the subscribers
    /// close their streams and the node drops the subscriptions (rows, change log), so nothing of
    /// them is left; for a "queries" phase they subscribe again (new subscriptions, a fresh first run)
    /// and are live before the phase starts. Both happen outside the measured windows. A warm-up
    /// round (one short phase of each, not counted) runs first, since the node starts cold.
    /// </summary>
    private static async Task ThroughputRoundsAsync(TextWriter output, int subscriptions, TimeSpan duration, bool separate, int rounds, TimeSpan warmup)
    {
        await using var bench = await BenchNode.StartAsync(subscriptions, separate, readersNice: s_readersNice, open: false);
        var next = 0;
        if (warmup > TimeSpan.Zero && subscriptions > 0)
        {
            await bench.OpenAsync();
            await ThroughputAsync(bench, warmup, () => next, n => next = n);
            await bench.CloseAsync();
            await ThroughputAsync(bench, warmup, () => next, n => next = n);
        }

        var none = new List<ThroughputResult>();
        var with = new List<ThroughputResult>();
        var ratios = new List<double>();
        var cpuDifferences = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            ThroughputResult? a = null;
            ThroughputResult? b = null;
            foreach (var queries in round % 2 == 1 ? new[] { false, true } : [true, false])
            {
                if (queries && subscriptions > 0)
                {
                    await bench.OpenAsync();
                }

                var result = await ThroughputAsync(bench, duration, () => next, n => next = n);
                if (queries)
                {
                    b = result;
                    with.Add(result);
                    output.WriteLine(FormattableString.Invariant($"- round {round}, {subscriptions} subscriptions: {result.Throughput:N0} tx/s ({result.Latency}); {result.Events:N0} change events delivered; {Cpu(result, separate)}"));
                    await bench.CloseAsync();
                }
                else
                {
                    a = result;
                    none.Add(result);
                    output.WriteLine(FormattableString.Invariant($"- round {round}, no subscriptions: {result.Throughput:N0} tx/s ({result.Latency}); {Cpu(result, separate)}"));
                }
            }

            var ratio = (b!.Throughput / a!.Throughput - 1) * 100;
            var cpu = b.CpuMicrosPerWrite - a.CpuMicrosPerWrite;
            ratios.Add(ratio);
            cpuDifferences.Add(cpu);
            output.WriteLine(FormattableString.Invariant($"- round {round} ({(round % 2 == 1 ? "none first" : "queries first")}): {subscriptions} subscriptions vs none {ratio:+0.0;-0.0} %; node + writers' CPU per write {a.CpuMicrosPerWrite:N0} → {b.CpuMicrosPerWrite:N0} µs ({cpu:+0;-0})"));
        }

        var pooledNone = ThroughputResult.Pooled(none);
        var pooledWith = ThroughputResult.Pooled(with);
        output.WriteLine(FormattableString.Invariant($"- write throughput, 8 closed-loop writers, no subscriptions: {pooledNone.Throughput:N0} tx/s ({pooledNone.Latency}); {Cpu(pooledNone, separate)}"));
        output.WriteLine(FormattableString.Invariant($"- write throughput, 8 closed-loop writers, {subscriptions} subscriptions: {pooledWith.Throughput:N0} tx/s ({pooledWith.Latency}); {pooledWith.Events:N0} change events delivered; {Cpu(pooledWith, separate)}"));
        output.WriteLine(FormattableString.Invariant($"- throughput with {subscriptions} subscriptions vs none: {Median(ratios):+0.0;-0.0} %"));
        output.WriteLine(FormattableString.Invariant($"- over {rounds} rounds of {duration.TotalSeconds:0} s phases (ABBA; the two lines above pool them): ratio median {Median(ratios):+0.0;-0.0} % (each: {string.Join(", ", ratios.Select(r => r.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)))}; pooled {(pooledWith.Throughput / pooledNone.Throughput - 1) * 100:+0.0;-0.0} %); node + writers' CPU per write, median difference {Median(cpuDifferences):+0;-0} µs (each: {string.Join(", ", cpuDifferences.Select(c => c.ToString("+0;-0", CultureInfo.InvariantCulture)))})"));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<ThroughputResult> ThroughputAsync(BenchNode bench, TimeSpan duration, Func<int> first, Action<int> setNext)
    {
        // Garbage of the last phase is collected before this one, not inside it.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var stop = new CancellationTokenSource(duration);
        var latencies = new List<double>();
        var count = 0L;
        var start = first();
        var highest = start;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var switchesBefore = ServerCosts.ContextSwitches();
        var readersCpuBefore = await bench.ReadersCpuMicrosAsync();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
        {
            var mine = new List<double>();
            var n = start + writer;
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                await bench.UpsertAsync(n, started);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                n += 8;
            }

            lock (latencies)
            {
                latencies.AddRange(mine);
                count += mine.Count;
                highest = Math.Max(highest, n);
            }
        }));
        var elapsed = watch.Elapsed.TotalSeconds;
        setNext(highest);
        var events = await bench.WaitForEventsAsync(count, TimeSpan.FromSeconds(30));
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalMicroseconds;
        var switches = ServerCosts.ContextSwitches();
        var readersCpu = await bench.ReadersCpuMicrosAsync() - readersCpuBefore;
        return new ThroughputResult(
            count,
            elapsed,
            latencies,
            events,
            cpu,
            readersCpu,
            switches.Voluntary - switchesBefore.Voluntary,
            switches.Involuntary - switchesBefore.Involuntary);
    }

    private static async Task<string> LatencyAsync(int subscriptions, int writesPerSecond, TimeSpan duration, bool separate, int wholeTable = 0)
    {
        await using var bench = await BenchNode.StartAsync(subscriptions, separate, wholeTable);
        var interval = TimeSpan.FromSeconds(1.0 / writesPerSecond);
        var watch = Stopwatch.StartNew();
        var sent = 0;
        var writes = new List<Task>();
        while (watch.Elapsed < duration)
        {
            // Open loop: writes go out on schedule whether or not earlier ones have finished.
            var due = interval * sent;
            var wait = due - watch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            writes.Add(wholeTable > 0 ? bench.InsertAsync(sent, Stopwatch.GetTimestamp()) : bench.UpsertAsync(sent, Stopwatch.GetTimestamp()));
            sent++;
        }

        await Task.WhenAll(writes);
        await bench.WaitForEventsAsync(sent, TimeSpan.FromSeconds(30));
        var samples = await bench.TakeLatenciesAsync();
        if (samples.Count == 0)
        {
            return "no events received";
        }

        // The node and the subscribers (a process started for this phase) begin cold: the events of the
        // first second, in arrival order, are left out of a second figure, so start-up and steady state
        // can be told apart. The first figure counts every event, as before.
        var steady = samples.Skip(writesPerSecond).ToList();
        return steady.Count == 0
            ? Percentiles.Summary(samples)
            : FormattableString.Invariant($"{Percentiles.Summary(samples)}; after the first second: {Percentiles.Summary(steady)}");
    }

    /// <summary>A node with its subscribers attached (in this process, or in a process of their own).</summary>
    private sealed class BenchNode : IAsyncDisposable
    {
        private readonly BenchDirectory _dir;
        private readonly CorrosionNode _node;
        private readonly HttpClient _http;
        private Subscribers? _local;
        private ReaderProcess? _remote;
        private int _subscriptions;
        private bool _separate;
        private bool _wholeTable;
        private int _readersNice;
        private bool _open;

        private BenchNode(BenchDirectory dir, CorrosionNode node)
        {
            _dir = dir;
            _node = node;
            _http = new HttpClient { BaseAddress = node.ApiAddress, Timeout = Timeout.InfiniteTimeSpan };
        }

        /// <param name="subscriptions">Subscriptions, one per region.</param>
        /// <param name="separate">The subscribers run in a process of their own.</param>
        /// <param name="wholeTable">When positive: that many rows, and the subscriptions read the whole table.</param>
        /// <param name="readersNice">When positive: the subscribers' process runs at this nice value.</param>
        /// <param name="open">False to start without the subscriptions (<see cref="OpenAsync"/> opens them).</param>
        public static async Task<BenchNode> StartAsync(int subscriptions, bool separate, int wholeTable = 0, int readersNice = 0, bool open = true)
        {
            var dir = new BenchDirectory();
            var options = new NodeOptions();
            options.Db.Path = dir.File("subs.db");
            options.Api.Addr = "127.0.0.1:0";
            var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
            var bench = new BenchNode(dir, node);

            // Every machine exists before the subscriptions open, so each write is an update.
            var machines = wholeTable > 0 ? wholeTable : Machines;
            for (var start = 0; start < machines; start += 250)
            {
                var rows = Enumerable.Range(start, 250).Select(i =>
                    FormattableString.Invariant($"""["INSERT INTO machines (id, region, updated_at) VALUES (?, ?, 0)", ["m-{i}", "r{i % Math.Max(subscriptions, 1)}"]]"""));
                await bench.PostAsync("v1/transactions", "[" + string.Join(",", rows) + "]");
            }

            bench._subscriptions = subscriptions;
            bench._separate = separate;
            bench._wholeTable = wholeTable > 0;
            bench._readersNice = readersNice;
            if (open)
            {
                await bench.OpenAsync();
            }

            return bench;
        }

        /// <summary>Opens the subscriptions and returns when every one is live (its end-of-query mark read).</summary>
        public async Task OpenAsync()
        {
            if (_open || _subscriptions == 0)
            {
                return;
            }

            if (_separate && _remote is { } remote)
            {
                await remote.OpenAsync();
            }
            else if (_separate)
            {
                _remote = await ReaderProcess.StartAsync(_node.ApiAddress, _subscriptions, _wholeTable, _readersNice);
            }
            else
            {
                _local = new Subscribers(_node.ApiAddress);
                for (var i = 0; i < _subscriptions; i++)
                {
                    await _local.SubscribeAsync(i, _wholeTable);
                }
            }

            _open = true;
        }

        /// <summary>
        /// Closes the subscribers' streams, then drops every subscription on the node (a subscription
        /// left without listeners would otherwise be kept until its idle timeout) and waits until none is left.
        /// </summary>
        public async Task CloseAsync()
        {
            if (!_open)
            {
                return;
            }

            if (_remote is { } remote)
            {
                await remote.CloseAsync();
            }
            else if (_local is { } local)
            {
                await local.StopAsync();
                local.Dispose();
                _local = null;
            }

            _open = false;
            var actor = _node.Actors.Subscriptions ?? throw new InvalidOperationException("the node runs without subscriptions");
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var left = await actor.Ask<IReadOnlyList<SubscriptionInfo>>(r => new ListSubscriptions(r), TimeSpan.FromSeconds(30), CancellationToken.None);
                if (left.Count == 0)
                {
                    return;
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"{left.Count} subscriptions are still there after dropping them");
                }

                foreach (var subscription in left)
                {
                    await actor.Ask<bool>(r => new DropSubscription(subscription.Id, r), TimeSpan.FromSeconds(30), CancellationToken.None);
                }
            }
        }

        public async Task UpsertAsync(int n, long sentAt)
        {
            var id = n % Machines;
            await PostAsync("v1/transactions", FormattableString.Invariant($"""[["UPDATE machines SET updated_at = ? WHERE id = ?", [{sentAt}, "m-{id}"]]]"""));
        }

        public async Task InsertAsync(int n, long sentAt) =>
            await PostAsync("v1/transactions", FormattableString.Invariant($"""[["INSERT INTO machines (id, region, updated_at) VALUES (?, 'r0', ?)", ["new-{n}", {sentAt}]]]"""));

        public async Task<List<double>> TakeLatenciesAsync() =>
            _remote is { } remote ? await remote.LatenciesAsync() : _local?.TakeLatencies() ?? [];

        /// <summary>CPU time of the subscribers' own process so far (0 when they share this one).</summary>
        public async Task<double> ReadersCpuMicrosAsync() => _remote is { } remote ? await remote.CpuMicrosAsync() : 0;

        private async Task<long> EventsAsync() => _remote is { } remote ? await remote.EventsAsync() : _local?.Events ?? 0;

        /// <summary>
        /// Waits until the subscribers have seen <paramref name="expected"/> events, or no new event
        /// for two seconds (writes to the same row inside one batch window coalesce into one event).
        /// </summary>
        public async Task<long> WaitForEventsAsync(long expected, TimeSpan deadline)
        {
            var watch = Stopwatch.StartNew();
            var last = -1L;
            var quietSince = watch.Elapsed;
            while (_open && watch.Elapsed < deadline)
            {
                var seen = await EventsAsync();
                if (seen >= expected || watch.Elapsed - quietSince > TimeSpan.FromSeconds(2))
                {
                    break;
                }

                if (seen != last)
                {
                    last = seen;
                    quietSince = watch.Elapsed;
                }

                await Task.Delay(20);
            }

            return _open ? await EventsAsync() : 0;
        }

        private async Task PostAsync(string path, string json)
        {
            using var content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            await response.Content.ReadAsByteArrayAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (_local is { } local)
            {
                await local.StopAsync();
                local.Dispose();
            }

            if (_remote is { } remote)
            {
                await remote.DisposeAsync();
            }

            _http.Dispose();
            await _node.DisposeAsync();
            _dir.Dispose();
        }
    }

    /// <summary>The subscribers: one HTTP NDJSON stream per region (or over the whole table), each line parsed, latencies kept.</summary>
    private sealed class Subscribers(Uri address) : IDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _readers = [];
        private readonly List<double> _latencies = [];
        private long _events;

        public long Events => Interlocked.Read(ref _events);

        public List<double> TakeLatencies()
        {
            lock (_latencies)
            {
                return [.. _latencies];
            }
        }

        public async Task SubscribeAsync(int region, bool wholeTable)
        {
            var query = wholeTable
                ? """["SELECT id, updated_at FROM machines"]"""
                : FormattableString.Invariant($"""["SELECT id, updated_at FROM machines WHERE region = ?", ["r{region}"]]""");
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/subscriptions?skip_rows=true", UriKind.Relative))
            {
                Content = new StringContent(
                    query,
                    Encoding.UTF8,
                    "application/json"),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"subscribe: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            var stream = await response.Content.ReadAsStreamAsync(_stop.Token);
            var reader = new StreamReader(stream);

            // Read up to the end-of-query mark so the subscription is live before writes start.
            while (await reader.ReadLineAsync(_stop.Token) is { } line && !line.StartsWith("{\"eoq\"", StringComparison.Ordinal))
            {
            }

            _readers.Add(Task.Run(() => ReadAsync(response, reader)));
        }

        private async Task ReadAsync(HttpResponseMessage response, StreamReader reader)
        {
            using (response)
            using (reader)
            {
                try
                {
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        var received = Stopwatch.GetTimestamp();
                        using var doc = JsonDocument.Parse(line);
                        if (!doc.RootElement.TryGetProperty("change", out var change))
                        {
                            continue;
                        }

                        // Stopwatch timestamps are CLOCK_MONOTONIC here: comparable across processes.
                        var sentAt = change[2][1].GetInt64();
                        if (sentAt == 0)
                        {
                            continue;
                        }

                        Interlocked.Increment(ref _events);
                        var ms = Stopwatch.GetElapsedTime(sentAt, received).TotalMilliseconds;
                        lock (_latencies)
                        {
                            _latencies.Add(ms);
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
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_readers);
        }

        public void Dispose()
        {
            _http.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>The subscribers in a child process (<see cref="RunReaders"/>), asked over its stdin and stdout.</summary>
    private sealed class ReaderProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly SemaphoreSlim _turn = new(1, 1);

        private ReaderProcess(Process process) => _process = process;

        public static async Task<ReaderProcess> StartAsync(Uri address, int subscriptions, bool wholeTable, int nice)
        {
            var start = new ProcessStartInfo(nice > 0 ? NicePath : Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            if (nice > 0)
            {
                // nice(1) adds to the bench's own niceness: the process ends at (at least) this value.
                start.ArgumentList.Add("-n");
                start.ArgumentList.Add(nice.ToString(CultureInfo.InvariantCulture));
                start.ArgumentList.Add(Environment.ProcessPath!);
            }

            foreach (var arg in new[] { typeof(SubscriptionBench).Assembly.Location, "subscriptions-readers", address.ToString(), subscriptions.ToString(CultureInfo.InvariantCulture), wholeTable ? "1" : "0" })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the subscribers' process");
            var readers = new ReaderProcess(process);
            var ready = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            if (ready != "ready")
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the subscribers' process said {ready ?? "nothing"} instead of ready");
            }

            return readers;
        }

        public async Task<long> EventsAsync() => long.Parse(await AskAsync("events"), CultureInfo.InvariantCulture);

        public async Task OpenAsync() => Expect("ready", await AskAsync("open", TimeSpan.FromMinutes(2)));

        public async Task CloseAsync() => Expect("closed", await AskAsync("close"));

        private static void Expect(string expected, string answer)
        {
            if (answer != expected)
            {
                throw new InvalidOperationException($"the subscribers' process said {answer} instead of {expected}");
            }
        }

        public async Task<double> CpuMicrosAsync() => double.Parse(await AskAsync("cpu"), CultureInfo.InvariantCulture);

        public async Task<List<double>> LatenciesAsync()
        {
            var line = await AskAsync("latencies");
            return line.Length == 0 ? [] : [.. line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
        }

        private async Task<string> AskAsync(string command, TimeSpan? timeout = null)
        {
            await _turn.WaitAsync();
            try
            {
                await _process.StandardInput.WriteLineAsync(command);
                await _process.StandardInput.FlushAsync();
                return await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("the subscribers' process ended");
            }
            finally
            {
                _turn.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _process.StandardInput.WriteLineAsync("stop");
                await _process.StandardInput.FlushAsync();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException)
            {
            }

            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            _turn.Dispose();
        }
    }
}
