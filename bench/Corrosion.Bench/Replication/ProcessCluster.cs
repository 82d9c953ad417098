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
    private long _keys;

    public static async Task<ProcessCluster> StartAsync(int size)
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
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a node process");
            cluster._processes.Add(process);
            var visible = new ConcurrentDictionary<(ActorId, long), long>();
            cluster._visible.Add(visible);
            var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var converged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
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
                    case "READY":
                        ready.TrySetResult(line);
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

    /// <summary>The child side: runs one node until stdin closes. Arguments: db path, schema path, cluster size, seed or "-".</summary>
    public static int RunNode(string[] args)
    {
        RunNodeAsync(args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3] == "-" ? null : args[3]).GetAwaiter().GetResult();
        return 0;
    }

    private static async Task RunNodeAsync(string dbPath, string schemaPath, int size, string? seed)
    {
        var output = Console.Out;
        var gate = new object();
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

        await Console.In.ReadToEndAsync();
    }
}
