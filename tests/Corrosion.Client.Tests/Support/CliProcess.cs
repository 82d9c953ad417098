using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Corrosion.Client.Tests.Support;

/// <summary>A running <c>corrosion</c> CLI process (the executable built beside the tests), read line by line.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly Task<string> _stderr;

    private CliProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                await _stdout.Writer.WriteAsync(line);
            }

            _stdout.Writer.Complete();
        });
    }

    public static CliProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // A child inherits ignored signals: under nohup (SIGHUP) or a shell without job control
        // (SIGINT) it would never see the signals some tests send it. `env` gives them their
        // default handling, as an interactive shell would, and execs (the pid is the child's).
        info.ArgumentList.Add("--default-signal=HUP,INT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "corrosion.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CORROSION_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        // Should a test start an agent here, it stops when this test host is gone.
        info.Environment["CORROSION_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return new CliProcess(process);
    }

    /// <summary>Reads stdout lines until one matches; returns it (throws with what was read at the deadline).</summary>
    public async Task<string> ReadUntilAsync(Func<string, bool> matches, TimeSpan? deadline = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(30));
        var read = new List<string>();
        try
        {
            while (true)
            {
                var line = await _stdout.Reader.ReadAsync(cts.Token);
                read.Add(line);
                if (matches(line))
                {
                    return line;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"no matching line; stdout so far: [{string.Join(" / ", read)}]; stderr: {(_process.HasExited ? await _stderr : "(running)")}");
        }
    }

    /// <summary>Sends SIGINT (what Ctrl+C sends).</summary>
    public async Task InterruptAsync()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill!.WaitForExitAsync();
    }

    /// <summary>Waits for the process to exit; returns its exit code and stderr.</summary>
    public async Task<(int ExitCode, string Stderr)> WaitForExitAsync(TimeSpan? deadline = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
        return (_process.ExitCode, await _stderr);
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
