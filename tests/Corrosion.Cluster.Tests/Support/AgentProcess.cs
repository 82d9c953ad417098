using System.Diagnostics;
using System.Text;

namespace Corrosion.Cluster.Tests.Support;

/// <summary>A <c>corrosion agent</c> child process with its own directory and config.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AgentProcess(string directory, string configPath, Process process)
    {
        Directory = directory;
        ConfigPath = configPath;
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"agent exited with {process.ExitCode} before listening:\n{Output}"));
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    public Uri ApiAddress => _listening.Task.Result;

    public string ApiAddr => $"{ApiAddress.Host}:{ApiAddress.Port}";

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

    public bool HasExited => _process.HasExited;

    /// <summary>The agent's process id.</summary>
    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts an agent with a config whose body is given (db path, api addr and gossip addr on free ports are filled in; extraConfig may override them).</summary>
    public static async Task<AgentProcess> StartAsync(string directory, string extraConfig = "", TimeSpan? deadline = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "node.conf");
        await File.WriteAllTextAsync(config, $$"""
            db.path = "{{Path.Combine(directory, "node.db").Replace("\\", "/", StringComparison.Ordinal)}}"
            api.addr = "127.0.0.1:0"
            gossip.addr = "127.0.0.1:0"
            {{extraConfig}}
            """);
        var process = Process.Start(CorrosionProcess.StartInfo("agent", "-c", config))!;
        var agent = new AgentProcess(directory, config, process);
        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(60));
        try
        {
            await agent._listening.Task.WaitAsync(cts.Token);
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }

        return agent;
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

        var match = CorrosionProcess.ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    /// <summary>Sends a signal (<c>HUP</c>, <c>TERM</c>…) with <c>kill</c>.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill!.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Sends SIGTERM and waits for a clean exit.</summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Kills the process with SIGKILL (no graceful leave), keeping its directory for a restart.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
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
}
