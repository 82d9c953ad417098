using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench.Replication;

/// <summary>
/// N nodes, each in its own process (this executable's hidden `replica-node` suite). Each child
/// prints what its store applies with a Stopwatch timestamp; on Linux that is CLOCK_MONOTONIC, shared
/// by all processes on the machine, so timestamps compare across processes.
/// </summary>
internal sealed class ProcessCluster : IBenchCluster
{
    private readonly BenchDirectory _dir = new();
    private readonly List<Process> _processes = [];
    private readonly List<HttpClient> _clients = [];
    private readonly List<ActorId> _ids = [];
    private readonly List<ConcurrentDictionary<(ActorId, long), long>> _visible = [];
    private readonly List<TaskCompletionSource<string>> _ready = [];
    private readonly List<TaskCompletionSource> _converged = [];
    private readonly List<string> _gossipAddresses = [];
    private readonly List<ConcurrentQueue<HopEvent>> _hops = [];
    private readonly List<TaskCompletionSource<string>> _exited = [];
    private long _keys;

    /// <summary>Per node: the hops its replication path reported (only with tracing on).</summary>
    public IReadOnlyList<ConcurrentQueue<HopEvent>> Hops => _hops;

    /// <summary>Per node: its actor id.</summary>
    public IReadOnlyList<ActorId> Ids => _ids;

    /// <summary>Per node: the base address of its HTTP API.</summary>
    public IReadOnlyList<Uri> ApiAddresses => _clients.Select(c => c.BaseAddress!).ToList();

    /// <summary>Per node: its gossip address (host:port), as peers name it.</summary>
    public IReadOnlyList<string> GossipAddresses => _gossipAddresses;

    /// <summary>Per node: the (origin, version) → Stopwatch timestamp it became visible.</summary>
    public IReadOnlyList<ConcurrentDictionary<(ActorId, long), long>> Visible => _visible;

    /// <summary>Per node: the "GC ..." line it printed when it stopped (after <see cref="DisposeAsync"/>).</summary>
    public IReadOnlyList<Task<string>> ExitReports => _exited.Select(e => e.Task).ToList();

    public static async Task<ProcessCluster> StartAsync(int size, bool trace = false)
    {
        var cluster = new ProcessCluster();
        var schema = cluster._dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, BenchCluster.Schema);
        string? seed = null;
        for (var i = 0; i < size; i++)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(typeof(ProcessCluster).Assembly.Location);
            info.ArgumentList.Add("replica-node");
            info.ArgumentList.Add(cluster._dir.File($"node{i}.db"));
            info.ArgumentList.Add(schema);
            info.ArgumentList.Add(size.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add(seed ?? "-");
            info.ArgumentList.Add(trace ? "trace" : "-");
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a node process");
            cluster._processes.Add(process);
            var visible = new ConcurrentDictionary<(ActorId, long), long>();
            cluster._visible.Add(visible);
            var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var converged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var hops = new ConcurrentQueue<HopEvent>();
            cluster._hops.Add(hops);
            var exited = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster._exited.Add(exited);
            cluster._ready.Add(ready);
            cluster._converged.Add(converged);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not { } line)
                {
                    return;
                }

                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "V":
                        visible.TryAdd((ActorId.Parse(parts[1]), long.Parse(parts[2], CultureInfo.InvariantCulture)), long.Parse(parts[3], CultureInfo.InvariantCulture));
                        break;
                    case "T":
                        hops.Enqueue(new HopEvent(parts[1], ActorId.Parse(parts[2]), long.Parse(parts[3], CultureInfo.InvariantCulture), long.Parse(parts[4], CultureInfo.InvariantCulture), parts[5] == "-" ? null : parts[5]));
                        break;
                    case "READY":
                        ready.TrySetResult(line);
                        break;
                    case "GC":
                        exited.TrySetResult(line);
                        break;
                    case "CONVERGED":
                        converged.TrySetResult();
                        break;
                }
            };
            process.BeginOutputReadLine();
            var readyLine = (await ready.Task.WaitAsync(TimeSpan.FromSeconds(60))).Split(' ');
            cluster._clients.Add(new HttpClient { BaseAddress = new Uri(readyLine[1]) });
            cluster._ids.Add(ActorId.Parse(readyLine[3]));
            cluster._gossipAddresses.Add(readyLine[2]);
            seed ??= readyLine[2];
        }

        await Task.WhenAll(cluster._converged.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(500);
        return cluster;
    }

    public Task<(ActorId Origin, long Version, long CommittedAt)> WriteAsync(int node) =>
        RowWriter.WriteAsync(_clients[node], _ids[node], Interlocked.Increment(ref _keys));

    public long? VisibleEverywhereAt(ActorId origin, long version)
    {
        long latest = 0;
        foreach (var visible in _visible)
        {
            if (!visible.TryGetValue((origin, version), out var at))
            {
                return null;
            }

            latest = Math.Max(latest, at);
        }

        return latest;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var process in _processes)
        {
            // Closing stdin asks the child to stop; it is killed if it does not within a few seconds.
            process.StandardInput.Close();
        }

        foreach (var process in _processes)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }

        _dir.Dispose();
    }

    /// <summary>
    /// The child side: runs one node until stdin closes. Arguments: db path, schema path, cluster size,
    /// seed or "-", "trace" or "-" (report every replication hop as a "T" line).
    /// </summary>
    public static int RunNode(string[] args)
    {
        RunNodeAsync(args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3] == "-" ? null : args[3], args.Length > 4 && args[4] == "trace").GetAwaiter().GetResult();
        return 0;
    }

    private static async Task RunNodeAsync(string dbPath, string schemaPath, int size, string? seed, bool trace)
    {
        var output = Console.Out;
        var gate = new object();
        using var hops = new HopWriter(output, gate);
        if (trace)
        {
            // Timestamps are taken on the spot; the lines are written by another thread, so the hook costs the path little.
            Agent.Replication.ReplicationTrace.Hook = hops.Record;
        }

        await using var node = await CorrosionNode.StartAsync(BenchCluster.NodeOptionsFor(dbPath, schemaPath, seed), NullLoggerFactory.Instance);
        Visibility.Attach(node, (actor, version, at) =>
        {
            lock (gate)
            {
                output.WriteLine(FormattableString.Invariant($"V {actor} {version} {at}"));
                output.Flush();
            }
        });
        lock (gate)
        {
            output.WriteLine($"READY {node.ApiAddress} {node.Transport!.LocalEndPoint} {node.ActorId}");
            output.Flush();
        }

        while (true)
        {
            var snapshot = await node.Actors.Membership!.Ask<MembersSnapshot>(r => new GetMembers(r), TimeSpan.FromSeconds(10));
            if (snapshot.LiveCount == size)
            {
                break;
            }

            await Task.Delay(100);
        }

        lock (gate)
        {
            output.WriteLine("CONVERGED");
            output.Flush();
        }

        // From here on the parent measures: JIT and GC work during the measurement are reported apart from start-up's.
        var (jitAt, methodsAt, pauseAt, gen0At, gen1At, gen2At) = (System.Runtime.JitInfo.GetCompilationTime(), System.Runtime.JitInfo.GetCompiledMethodCount(), GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

        await Console.In.ReadToEndAsync();
        Agent.Replication.ReplicationTrace.Hook = null;
        hops.Dispose();
        lock (gate)
        {
            output.WriteLine(FormattableString.Invariant(
                $"GC after convergence: gen0 {GC.CollectionCount(0) - gen0At} gen1 {GC.CollectionCount(1) - gen1At} gen2 {GC.CollectionCount(2) - gen2At}, pause {(GC.GetTotalPauseDuration() - pauseAt).TotalMilliseconds:F1} ms, JIT {(System.Runtime.JitInfo.GetCompilationTime() - jitAt).TotalMilliseconds:F0} ms for {System.Runtime.JitInfo.GetCompiledMethodCount() - methodsAt} methods; whole run: GC pause {GC.GetTotalPauseDuration().TotalMilliseconds:F1} ms, JIT {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms for {System.Runtime.JitInfo.GetCompiledMethodCount()} methods"));
            output.Flush();
        }
    }
}
