using System.Diagnostics;

namespace Corrosion.Chaos.Network;

/// <summary>Runs a system tool (<c>ip</c>, <c>nft</c>) to completion within a deadline.</summary>
public static class Shell
{
    /// <summary>The default deadline of one tool invocation; these tools answer in milliseconds.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(20);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, feeding <paramref name="stdin"/>; never throws for a non-zero exit.</summary>
    public static async Task<ShellResult> RunAsync(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ShellResult(127, string.Empty, $"{file}: {e.Message}");
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline ?? DefaultDeadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} did not finish within {deadline ?? DefaultDeadline}");
        }

        return new ShellResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>As <see cref="RunAsync"/>, but a non-zero exit throws with the tool's error output.</summary>
    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var list = args.ToList();
        var result = await RunAsync(file, list, stdin, null, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new ChaosSetupException($"{file} {string.Join(' ', list)} failed ({result.ExitCode}): {result.Stderr.Trim()}{(stdin is null ? "" : "\ninput:\n" + stdin)}");
        }

        return result.Stdout;
    }
}

/// <summary>The exit code and output of a tool.</summary>
public sealed record ShellResult(int ExitCode, string Stdout, string Stderr);
