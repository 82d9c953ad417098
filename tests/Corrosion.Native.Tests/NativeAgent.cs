using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Corrosion.Native.Tests;

/// <summary>
/// <c>corrosion agent</c> run from the native executable. It stops with the test (SIGTERM, then a kill),
/// and also when the test host is killed (CORROSION_EXIT_WITH_PARENT).
/// </summary>
public sealed partial class NativeAgent : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _akka = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NativeAgent(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            _listening.TrySetException(new InvalidOperationException($"the native agent exited with {process.ExitCode} before listening:\n{Output}"));
            _akka.TrySetException(new InvalidOperationException($"the native agent exited with {process.ExitCode}:\n{Output}"));
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The HTTP API, once the agent listens.</summary>
    public Uri Api => _listening.Task.Result;

    /// <summary>The agent's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>The Akka client gateway's address, when <c>akka_api.enabled</c>.</summary>
    public Task<string> AkkaAddress => _akka.Task;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <c>corrosion agent -c config</c> in <paramref name="directory"/> and waits until its API listens.</summary>
    public static Task<NativeAgent> StartAsync(string executable, string directory, string config) =>
        StartAsync(executable, directory, config, launcher: [], environment: new Dictionary<string, string>());

    /// <summary>
    /// Starts <c>corrosion agent</c> in <paramref name="directory"/>, with <c>-c</c> a file of <paramref name="config"/>
    /// unless it is null, through <paramref name="launcher"/> (a program that execs the rest of its arguments) unless
    /// it is empty, with <paramref name="environment"/> added, and waits until its API listens.
    /// </summary>
    public static async Task<NativeAgent> StartAsync(string executable, string directory, string? config, IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string> environment)
    {
        Directory.CreateDirectory(directory);
        var command = launcher.Concat([executable, "agent"]).ToList();
        if (config is not null)
        {
            var file = Path.Combine(directory, "node.conf");
            await File.WriteAllTextAsync(file, config);
            command.AddRange(["-c", file]);
        }

        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CORROSION_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["CORROSION_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var agent = new NativeAgent(Process.Start(info)!);
        try
        {
            await agent._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }

        return agent;
    }

    /// <summary>Sends SIGTERM and returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (AkkaLine().Match(line) is { Success: true } akka)
        {
            _akka.TrySetResult(akka.Groups[1].Value);
        }

        if (ListeningLine().Match(line) is { Success: true } http)
        {
            _listening.TrySetResult(new Uri(http.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"akka api on (akka\.tcp://\S+)")]
    private static partial Regex AkkaLine();
}
