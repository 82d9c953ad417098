using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Corrosion.Cluster.Tests.Support;

/// <summary>Runs the real <c>corrosion</c> executable (built beside the tests) as a child process.</summary>
public static partial class CorrosionProcess
{
    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "corrosion.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
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
        info.ArgumentList.Add(ExecutablePath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The tests' own CORROSION_ variables must not leak into the child.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CORROSION_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        // An agent stops when this test host is gone, even when it is killed (no orphans).
        info.Environment["CORROSION_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return info;
    }

    /// <summary>Runs a CLI command to completion (with a deadline) and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan deadline, params string[] args) =>
        RunAsync(deadline, new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunAsync(TimeSpan, string[])"/>, with extra environment variables for the child.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan deadline, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(args);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"corrosion {string.Join(' ', args)} did not finish within {deadline}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    internal static partial Regex ListeningLine();
}
