using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Corrosion.Bench.Replication;

/// <summary>
/// One <c>corrosion agent</c> process on a configuration file; stops with the bench (SIGTERM, then a
/// kill), and also when the bench itself is killed (CORROSION_EXIT_WITH_PARENT).
/// </summary>
internal sealed partial class AgentProcess : IAsyncDisposable
{
    private AgentProcess(Process process, Task<Uri> listening, Task<TimeSpan> startedIn)
    {
        Process = process;
        Listening = listening;
        StartedIn = startedIn;
    }

    public Process Process { get; }

    /// <summary>The HTTP API's address, once the agent says it is listening.</summary>
    public Task<Uri> Listening { get; }

    /// <summary>From the process start to the agent saying it is listening (its API answers from then on).</summary>
    public Task<TimeSpan> StartedIn { get; }

    /// <param name="cli">The CLI: <c>corrosion.dll</c> (run with <c>dotnet</c>), or a native executable (the NativeAOT publish).</param>
    public static AgentProcess Start(string cli, string config, string workingDirectory)
    {
        var native = !cli.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(native ? cli : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (!native)
        {
            info.ArgumentList.Add(cli);
        }

        info.ArgumentList.Add("agent");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        info.Environment["CORROSION_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start corrosion agent");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var startedIn = listening.Task.ContinueWith(_ => clock.Elapsed, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        var errors = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && ApiAddress().Match(line) is { Success: true } api)
            {
                listening.TrySetResult(new Uri(api.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    if (errors.Count < 20)
                    {
                        errors.Add(line);
                    }
                }
            }
        };
        process.Exited += (_, _) =>
        {
            lock (errors)
            {
                listening.TrySetException(new InvalidOperationException($"corrosion agent ({config}) exited with {process.ExitCode} before listening: {string.Join(" | ", errors)}"));
            }
        };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AgentProcess(process, listening.Task, startedIn);
    }

    /// <summary>This repository's Release build of the CLI.</summary>
    public static string DefaultCli()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Corrosion.Actors.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? ".", "src", "Corrosion.Cli", "bin", "Release", "net10.0", "corrosion.dll");
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await Process.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
            }
        }

        Process.Dispose();
    }

    [GeneratedRegex(@"listening on (http\S+)")]
    private static partial Regex ApiAddress();
}
