using System.Diagnostics;

namespace Corrosion.Native.Tests;

/// <summary>Runs a program to its exit and captures its output; killed with its children when the deadline passes.</summary>
internal static class ChildProcess
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan deadline, string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
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
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
