using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Corrosion.Client.Akka.Tests.Support;

/// <summary>
/// A <c>corrosion agent</c> child process with the Akka client gateway on. A watchdog shell kills it
/// when the test host dies (however it dies), so no agent outlives its test.
/// </summary>
public sealed partial class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Process _watchdog;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<(Uri Http, string Akka)> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _akka;

    private AgentProcess(string directory, Process process)
    {
        Directory = directory;
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"agent exited with {process.ExitCode} before listening:\n{Output}"));
        _watchdog = Watchdog(process.Id);
    }

    public string Directory { get; }

    /// <summary>The HTTP API's base address.</summary>
    public Uri ApiAddress => _listening.Task.Result.Http;

    /// <summary>The Akka.Remote address of the gateway (<c>akka.tcp://corrosion@127.0.0.1:port/user/corrosion/client</c>).</summary>
    public string AkkaAddress => _listening.Task.Result.Akka;

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

    /// <summary>Starts an agent whose config is the defaults for a test (db, free ports, gateway on) plus <paramref name="extraConfig"/>.</summary>
    public static async Task<AgentProcess> StartAsync(string directory, string extraConfig = "", TimeSpan? deadline = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "node.conf");
        {
            await File.WriteAllTextAsync(config, $$"""
                db.path = "{{Path.Combine(directory, "node.db")}}"
                api.addr = "127.0.0.1:0"
                gossip { addr = "127.0.0.1:0", plaintext = true }
                akka_api { enabled = true, addr = "127.0.0.1:0" }
                {{extraConfig}}
                """);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "corrosion.dll"));
        info.ArgumentList.Add("agent");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CORROSION_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        // The agent itself stops when this test host is gone (besides the watchdog below).
        info.Environment["CORROSION_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var agent = new AgentProcess(directory, Process.Start(info)!);
        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(90));
        try
        {
            await agent._listening.Task.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await agent.DisposeAsync();
            throw new TimeoutException($"the agent did not start in time:\n{agent.Output}");
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }

        return agent;
    }

    /// <summary>Waits until the agent's output contains <paramref name="text"/>.</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return Output.Contains(text, StringComparison.Ordinal);
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
            _akka = akka.Groups[1].Value;
        }

        if (ListeningLine().Match(line) is { Success: true } http && _akka is { } address)
        {
            _listening.TrySetResult((new Uri(http.Groups[1].Value), address));
        }
    }

    /// <summary>Sends SIGTERM and waits for a clean exit.</summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
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

        if (!_watchdog.HasExited)
        {
            _watchdog.Kill();
        }

        _watchdog.Dispose();
        _process.Dispose();
    }

    // Kills the agent once the test host is gone; ends by itself when the agent does.
    private static Process Watchdog(int agentPid)
    {
        var host = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var agent = agentPid.ToString(CultureInfo.InvariantCulture);
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"while kill -0 {host} 2>/dev/null && kill -0 {agent} 2>/dev/null; do sleep 1; done; kill -9 {agent} 2>/dev/null; exit 0");
        return Process.Start(info)!;
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"akka api on (akka(?:\.ssl)?\.tcp://\S+)")]
    private static partial Regex AkkaLine();
}
