using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Corrosion.Chaos.Checking;
using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Nemesis;
using Corrosion.Chaos.Network;
using Corrosion.Chaos.Workload;
using Corrosion.Client;

namespace Corrosion.Chaos;

/// <summary>
/// One chaos run, start to end: clean up what a crashed earlier run left, build the network, start
/// the nodes, run the workload and the nemesis together, heal, wait for convergence, check, stop
/// the nodes, and tear everything down — also when the run fails, times out or is cancelled.
/// </summary>
public sealed class ChaosRun : IDisposable
{
    private readonly ChaosOptions _options;
    private readonly Action<string> _sink;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private StreamWriter? _runLog;

    public ChaosRun(ChaosOptions options, Action<string> sink)
    {
        _options = options;
        _sink = sink;
    }

    public async Task<ChaosReport> RunAsync(CancellationToken cancellationToken)
    {
        var directory = _options.Directory ?? Path.Combine(Path.GetTempPath(), "corrosion-chaos", string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{_options.Seed}-{Environment.ProcessId}"));
        Directory.CreateDirectory(directory);
        _runLog = new StreamWriter(Path.Combine(directory, "run.log")) { AutoFlush = true };
        var report = new ChaosReport { Options = _options, Directory = directory, LoadBefore = LoadAverage() };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RunDeadline);
        var token = deadline.Token;
        ChaosNetwork? network = null;
        ChaosCluster? cluster = null;
        try
        {
            Log($"chaos: seed {_options.Seed}, {_options.Writes} writes, {_options.Nodes} nodes, {_options.Clients} clients, {_options.LossPercent} % loss, {_options.DuplicatePercent} % duplication; directory {directory}");
            await ChaosNetwork.RemoveStaleAsync(Log, token);
            network = await ChaosNetwork.CreateAsync(_options.Nodes, Log, token);
            cluster = await ChaosCluster.CreateAsync(network, directory, _options.CorrosionDll, _options.Tuning, Log);
            await RunClusterAsync(cluster, report, token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            report.Error = $"the run exceeded its deadline of {_options.RunDeadline}";
            Log("chaos: " + report.Error);
        }
        catch (OperationCanceledException)
        {
            report.Error = "cancelled";
            Log("chaos: cancelled; tearing down");
        }
        catch (Exception e) when (e is ChaosSetupException or TimeoutException or CorrosionException or IOException or InvalidDataException)
        {
            report.Error = e.Message;
            Log("chaos: " + e);
        }
        finally
        {
            if (cluster is not null)
            {
                foreach (var node in cluster.Nodes)
                {
                    report.ErrorLogLines[node.Index] = node.ErrorLines;
                }

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
            await _runLog.DisposeAsync();
            _runLog = null;
            if (report.Passed && !_options.KeepDirectory)
            {
                TryDelete(directory);
            }
        }

        return report;
    }

    private async Task RunClusterAsync(ChaosCluster cluster, ChaosReport report, CancellationToken token)
    {
        await cluster.StartAllAsync(_options.StartDeadline, token);
        report.StartUp = _clock.Elapsed;

        var history = new History();
        var workload = new ChaosWorkload(cluster.Nodes, history, new WorkloadOptions { Seed = _options.Seed, Clients = _options.Clients }, Log);
        var nemesis = new ChaosNemesis(cluster, new NemesisOptions { LossPercent = _options.LossPercent, DuplicatePercent = _options.DuplicatePercent, StartDeadline = _options.StartDeadline }, Log);
        var plan = NemesisPlan.Generate(_options.Seed, _options.Nodes, steps: 10_000, _options.FaultMin, _options.FaultMax, _options.Calm);
        Log("chaos: plan starts " + string.Join("; ", plan.Take(Enum.GetValues<FaultKind>().Length)));
        bool Done() => history.Acknowledged >= _options.Writes && nemesis.RoundDone;

        await nemesis.StartAsync(token);
        var workStarted = _clock.Elapsed;
        using var progress = new CancellationTokenSource();
        var reporter = ReportProgressAsync(history, workload, nemesis, progress.Token);
        var clients = workload.RunAsync(Done, token);
        var faults = nemesis.RunAsync(plan, Done, token);
        try
        {
            await Task.WhenAll(clients, faults);
        }
        finally
        {
            await progress.CancelAsync();
            await reporter;
        }

        report.Workload = _clock.Elapsed - workStarted;
        report.FaultsApplied = nemesis.StepsDone;
        report.NemesisEvents = nemesis.Events;

        await nemesis.HealAllAsync(token);
        var healed = _clock.Elapsed;
        var (convergedAfter, snapshots) = await AwaitConvergenceAsync(cluster, healed, token);
        report.ConvergedAfter = convergedAfter;
        var result = ChaosChecker.Check(history, snapshots, cluster.Crashes, new WorkloadOptions().PartsPerTransaction);
        if (convergedAfter is null)
        {
            result.Add(AnomalyKind.NotConverged, $"nodes not identical {_options.ConvergenceDeadline.TotalSeconds:F0} s after the final heal; digests {string.Join(", ", snapshots.Select(s => $"node {s.Node} {s.Digest()}"))}");
        }

        await CheckMembershipAsync(cluster, result, token);
        report.Rows = snapshots.Count > 0 ? snapshots[0].Tables.Concat(snapshots[0].Clocks.Select(c => KeyValuePair.Create(c.Key + " clocks", c.Value))).ToDictionary(t => t.Key, t => t.Value.Count) : [];
        await WriteHistoryAsync(history, report.Directory!, token);

        // Stop every node gracefully: a node that does not exit cleanly is a finding too.
        var codes = await Task.WhenAll(cluster.Nodes.Select(n => n.StopAsync(TimeSpan.FromSeconds(30))));
        foreach (var node in cluster.Nodes)
        {
            if (codes[node.Index] is var code && code != 0)
            {
                result.Add(AnomalyKind.UncleanStop, $"node {node.Index} {(code is null ? "did not exit within 30 s of SIGTERM" : $"exited with {code} on SIGTERM")}; last output:\n{node.Tail}");
            }
        }

        report.Check = result;
    }

    /// <summary>
    /// Polls until every node reports the same heads with nothing needed (no version left to apply
    /// anywhere, so no cell can change any more), then confirms with full snapshots. The convergence
    /// time is from the final heal to the end of the poll that found the heads settled; reading and
    /// comparing the snapshots (seconds for 10,000 writes on a loaded machine) is not counted, but a
    /// mismatch there means the poll goes on.
    /// </summary>
    private async Task<(TimeSpan? After, IReadOnlyList<NodeSnapshot> Snapshots)> AwaitConvergenceAsync(ChaosCluster cluster, TimeSpan healed, CancellationToken token)
    {
        NodeSnapshot[] snapshots = [];
        var until = healed + _options.ConvergenceDeadline;
        var lastState = "no answer yet";
        while (true)
        {
            try
            {
                var states = await Task.WhenAll(cluster.Nodes.Select(n => SyncStateAsync(n, token)));
                var settledAt = _clock.Elapsed;
                lastState = string.Join("; ", states.Select((s, i) => $"node {i}: {s}"));
                if (states.All(s => s.Settled) && states.Select(s => s.Heads).Distinct().Count() == 1)
                {
                    snapshots = await Task.WhenAll(cluster.Nodes.Select(n => SnapshotReader.ReadAsync(n, ChaosSchema.Tables, token)));
                    var digests = snapshots.Select(s => s.Digest()).Distinct().ToList();
                    if (digests.Count == 1)
                    {
                        var after = settledAt - healed;
                        Log(string.Create(CultureInfo.InvariantCulture, $"chaos: every node settled on the same heads {after.TotalSeconds:F2} s after the final heal; full snapshots (tables and clocks) identical, digest {digests[0]}, read and compared in {(_clock.Elapsed - settledAt).TotalSeconds:F2} s"));
                        return (after, snapshots);
                    }

                    Log($"chaos: heads settled but snapshots differ ({string.Join(", ", snapshots.Select(s => $"node {s.Node} {s.Digest()}"))}); polling on");
                }
            }
            catch (Exception e) when (e is CorrosionException or IOException or HttpRequestException or OperationCanceledException && !token.IsCancellationRequested)
            {
                lastState = e.Message;
            }

            if (_clock.Elapsed > until)
            {
                Log($"chaos: not converged; last sync states: {lastState}");
                if (snapshots.Length == 0)
                {
                    snapshots = await Task.WhenAll(cluster.Nodes.Select(n => SnapshotReader.ReadAsync(n, ChaosSchema.Tables, token)));
                }

                return (null, snapshots);
            }

            await Task.Delay(Waits.PollInterval, token);
        }
    }

    private static async Task<SyncSummary> SyncStateAsync(ChaosNode node, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var state = await node.Client.GetJsonAsync("v1/sync/state", timeout.Token);
        var need = state.GetProperty("need").EnumerateObject().Any();
        var partial = state.GetProperty("partial_need").EnumerateObject().Any();
        return new SyncSummary(state.GetProperty("heads").GetRawText(), !need && !partial);
    }

    private sealed record SyncSummary(string Heads, bool Settled)
    {
        public override string ToString() => $"heads {Heads}{(Settled ? "" : ", needs versions")}";
    }

    private async Task CheckMembershipAsync(ChaosCluster cluster, CheckResult result, CancellationToken token)
    {
        try
        {
            await Waits.UntilAsync(
                async ct => (await Task.WhenAll(cluster.Nodes.Select(n => ChaosCluster.MembersAsync(n, ct)))).All(m => m == cluster.Nodes.Count),
                "full membership",
                TimeSpan.FromSeconds(30),
                token);
        }
        catch (TimeoutException)
        {
            var members = await Task.WhenAll(cluster.Nodes.Select(n => ChaosCluster.MembersAsync(n, token)));
            result.Add(AnomalyKind.NotConverged, $"membership not healed 30 s after the data converged: live members seen {string.Join(", ", members.Select((m, i) => $"node {i}: {m}"))}");
        }
    }

    private async Task ReportProgressAsync(History history, ChaosWorkload workload, ChaosNemesis nemesis, CancellationToken token)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), token);
                Log($"progress: {history.Acknowledged} acknowledged, {workload.Unknown} unknown, {workload.Failed} failed, {history.Reads.Count} reads; faults done {nemesis.StepsDone}");
            }
        }
        catch (OperationCanceledException)
        {
            // The workload is over.
        }
    }

    private static async Task WriteHistoryAsync(History history, string directory, CancellationToken token)
    {
        await using var file = new StreamWriter(Path.Combine(directory, "history.ndjson"));
        foreach (var write in history.Writes.OrderBy(w => w.Id))
        {
            await file.WriteLineAsync(JsonSerializer.Serialize(new
            {
                id = write.Id,
                client = write.Client,
                node = write.Node,
                outcome = write.Outcome.ToString(),
                detail = write.Detail,
                version = write.Version,
                started = write.Started,
                finished = write.Finished,
                effects = write.Effects.Select(e => e.ToString()),
            }).AsMemory(), token);
        }
    }

    private void Log(string line)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,7:F1}s] {line}");
        _sink(text);
        try
        {
            _runLog?.WriteLine(text);
        }
        catch (ObjectDisposedException)
        {
            // A late line after the run closed its log.
        }
    }

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

    public void Dispose() => _runLog?.Dispose();

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
