using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Nemesis;
using Corrosion.Chaos.Network;
using Corrosion.Client;

namespace Corrosion.Chaos.Repair;

/// <summary>
/// Measures repair after a heal with real agents in network namespaces: start the nodes; then, per
/// run, cut them into two sides with nftables, write on every node (at the partition's start, middle
/// and last half second), heal, and poll every node's <c>/v1/sync/state</c> until each holds each
/// version written (head at or past it, not needed, not partial). The nodes, namespaces and rules
/// are torn down at the end, also when the measurement fails or is cancelled.
/// </summary>
public sealed class RepairBench(RepairOptions options, Action<string> sink)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async Task<RepairReport> RunAsync(CancellationToken cancellationToken)
    {
        var directory = options.Directory ?? Path.Combine(Path.GetTempPath(), "corrosion-repair", string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{options.Seed}-{Environment.ProcessId}"));
        Directory.CreateDirectory(directory);
        var report = new RepairReport { Options = options, LoadBefore = LoadAverage() };
        ChaosNetwork? network = null;
        ChaosCluster? cluster = null;
        try
        {
            Log($"repair: {options.Nodes} nodes, {options.Runs} partitions of {options.PartitionMin.TotalSeconds:F0}..{options.PartitionMax.TotalSeconds:F0} s, seed {options.Seed}; directory {directory}");
            await ChaosNetwork.RemoveStaleAsync(Log, cancellationToken);
            network = await ChaosNetwork.CreateAsync(options.Nodes, Log, cancellationToken);
            cluster = await ChaosCluster.CreateAsync(network, directory, options.CorrosionDll, options.Tuning, Log);
            await cluster.StartAllAsync(options.StartDeadline, cancellationToken);
            var random = new Random(options.Seed);
            for (var run = 1; run <= options.Runs; run++)
            {
                var measured = await MeasureAsync(cluster, run, random, cancellationToken);
                report.Runs.Add(measured);
                Log(measured.ToString());
            }
        }
        catch (OperationCanceledException)
        {
            report.Error = "cancelled";
        }
        catch (Exception e) when (e is ChaosSetupException or TimeoutException or CorrosionException or IOException or InvalidDataException or HttpRequestException)
        {
            report.Error = e.Message;
            Log("repair: " + e);
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }

            if (network is not null)
            {
                await network.DisposeAsync();
            }

            report.Elapsed = _clock.Elapsed;
            report.LoadAfter = LoadAverage();
            var text = report.ToString();
            Log(text);
            await File.WriteAllTextAsync(Path.Combine(directory, "report.txt"), text, CancellationToken.None);
            if (report.Passed && !options.KeepDirectory)
            {
                TryDelete(directory);
            }
        }

        return report;
    }

    private async Task<RepairRun> MeasureAsync(ChaosCluster cluster, int number, Random random, CancellationToken cancellationToken)
    {
        var n = cluster.Nodes.Count;
        var span = options.PartitionMax - options.PartitionMin;
        var duration = options.PartitionMin + TimeSpan.FromMilliseconds(random.NextDouble() * span.TotalMilliseconds);
        var shuffled = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToList();
        var minoritySize = random.Next(1, n / 2 + 1);
        IReadOnlyList<int> minority = shuffled.Take(minoritySize).Order().ToList();
        IReadOnlyList<int> majority = shuffled.Skip(minoritySize).Order().ToList();
        var sides = $"{string.Join(',', minority)} | {string.Join(',', majority)}";

        var unreachable = NemesisPlan.Unreachable(n, [minority, majority]);
        await Task.WhenAll(Enumerable.Range(0, n).Select(i =>
            cluster.Network.ApplyAsync(i, LinkFaults.None.BlockedFrom(unreachable[i].Select(ChaosNetwork.NodeAddress)), cancellationToken)));
        var cutAt = _clock.Elapsed;
        Log($"repair: run {number}: partition {sides} for {duration.TotalSeconds:F1} s");

        var written = new List<(string Actor, long Version)>();
        written.AddRange(await WriteEverywhereAsync(cluster, number, 0, cancellationToken));
        await DelayUntilAsync(cutAt + duration / 2, cancellationToken);
        written.AddRange(await WriteEverywhereAsync(cluster, number, 1, cancellationToken));
        await DelayUntilAsync(cutAt + duration - TimeSpan.FromMilliseconds(500), cancellationToken);
        written.AddRange(await WriteEverywhereAsync(cluster, number, 2, cancellationToken));
        await DelayUntilAsync(cutAt + duration, cancellationToken);

        // Measured from the start of the heal: the rules of the nodes go one by one (tens to hundreds of ms
        // under load), and traffic between nodes already healed flows meanwhile.
        var healedAt = _clock.Elapsed;
        await Task.WhenAll(Enumerable.Range(0, n).Select(i => cluster.Network.ApplyAsync(i, LinkFaults.None, cancellationToken)));
        var healTook = _clock.Elapsed - healedAt;
        TimeSpan? repairedAfter = null;
        var lastMissing = "not polled";
        while (_clock.Elapsed - healedAt < options.RepairDeadline)
        {
            var missing = await MissingAsync(cluster, written, cancellationToken);
            if (missing is null)
            {
                repairedAfter = _clock.Elapsed - healedAt;
                break;
            }

            lastMissing = missing;
            await Task.Delay(options.PollInterval, cancellationToken);
        }

        if (repairedAfter is null)
        {
            Log($"repair: run {number}: not repaired within {options.RepairDeadline.TotalSeconds:F0} s; still missing: {lastMissing}");
        }

        // The next partition starts from a whole cluster.
        await Waits.UntilAsync(
            async ct => (await Task.WhenAll(cluster.Nodes.Select(node => ChaosCluster.MembersAsync(node, ct)))).All(m => m == n),
            "full membership after the heal",
            TimeSpan.FromSeconds(60),
            cancellationToken);
        await Task.Delay(options.Settle, cancellationToken);
        return new RepairRun(number, duration, sides, written.Count, repairedAfter, healTook);
    }

    /// <summary>Every node inserts <see cref="RepairOptions.WritesPerMoment"/> rows, one transaction each; returns the versions.</summary>
    private async Task<IReadOnlyList<(string Actor, long Version)>> WriteEverywhereAsync(ChaosCluster cluster, int run, int moment, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(cluster.Nodes.Select(async node =>
        {
            var versions = new List<(string, long)>();
            for (var k = 0; k < options.WritesPerMoment; k++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var id = string.Create(CultureInfo.InvariantCulture, $"repair-{options.Seed}-{run}-{moment}-{node.Index}-{k}");
                var result = await node.Client.ExecuteAsync(
                    [new ClientStatement("INSERT INTO uniq (id, client, val) VALUES (?, ?, ?)", [id, node.Index, run])],
                    cancellationToken: timeout.Token);
                versions.Add((result.ActorId ?? throw new InvalidDataException($"node {node.Index} answered a write without its actor id"),
                    result.Version ?? throw new InvalidDataException($"node {node.Index} answered a write without a version")));
            }

            return versions;
        }));
        return results.SelectMany(v => v).ToList();
    }

    /// <summary>Null when every node holds every version; else what the first node found lacking lacks.</summary>
    private static async Task<string?> MissingAsync(ChaosCluster cluster, List<(string Actor, long Version)> written, CancellationToken cancellationToken)
    {
        var states = await Task.WhenAll(cluster.Nodes.Select(async node =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                return await node.Client.GetJsonAsync("v1/sync/state", timeout.Token);
            }
            catch (Exception e) when (e is CorrosionException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (JsonElement?)null;
            }
        }));
        for (var i = 0; i < states.Length; i++)
        {
            if (states[i] is not { } state)
            {
                return $"node {i} did not answer";
            }

            foreach (var (actor, version) in written)
            {
                if (!Holds(state, actor, version))
                {
                    return $"node {i} lacks {actor} v{version}";
                }
            }
        }

        return null;
    }

    internal static bool Holds(JsonElement state, string actor, long version)
    {
        if (!TryProperty(state.GetProperty("heads"), actor, out var head) || head.GetInt64() < version)
        {
            return false;
        }

        if (TryProperty(state.GetProperty("need"), actor, out var needs)
            && needs.EnumerateArray().Any(r => r.GetProperty("start").GetInt64() <= version && version <= r.GetProperty("end").GetInt64()))
        {
            return false;
        }

        return !(TryProperty(state.GetProperty("partial_need"), actor, out var partials)
                 && partials.TryGetProperty(version.ToString(CultureInfo.InvariantCulture), out _));
    }

    private static bool TryProperty(JsonElement obj, string name, out JsonElement value)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private async Task DelayUntilAsync(TimeSpan at, CancellationToken cancellationToken)
    {
        var wait = at - _clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }

    private void Log(string line) =>
        sink(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,7:F1}s] {line}"));

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }
}
