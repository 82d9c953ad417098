using System.Diagnostics;
using System.Text.Json;

namespace Corrosion.CrSqlite.Tests;

/// <summary>
/// cr-sqlite 0.16 under Node: installs the pinned npm packages (<c>npm ci</c> into the test's
/// output folder, once) and replays scenarios through <c>crsqlite/replay.mjs</c>.
/// </summary>
public static class CrSqlite
{
    private static readonly Lazy<string?> Unavailable = new(Install);

    private static string Root => Path.Combine(AppContext.BaseDirectory, "crsqlite");

    /// <summary>Why cr-sqlite cannot run here (no Node, npm registry unreachable), or null when it can.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    private static string? Install()
    {
        if (Run("node", "--version", Root, TimeSpan.FromSeconds(30)) is not (0, _))
        {
            return "node is not installed (the differential test runs cr-sqlite under Node 20)";
        }

        var wasm = Path.Combine(Root, "node_modules", "@vlcn.io", "crsqlite-wasm", "dist", "crsqlite.wasm");
        if (File.Exists(wasm))
        {
            return null;
        }

        var (code, output) = Run("npm", "ci --no-audit --no-fund --loglevel=error", Root, TimeSpan.FromMinutes(5));
        if (code == 0 && File.Exists(wasm))
        {
            return null;
        }

        // Only an unreachable registry is a reason to skip; any other failure is a failure.
        string[] network = ["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH", "network"];
        if (network.Any(n => output.Contains(n, StringComparison.OrdinalIgnoreCase)))
        {
            return "the npm registry is unreachable, so cr-sqlite (@vlcn.io/crsqlite-wasm) cannot be installed: " + output.Trim().Split('\n')[0];
        }

        throw new InvalidOperationException($"npm ci in {Root} failed (exit {code}):\n{output}");
    }

    /// <summary>Replays the scenarios through cr-sqlite; results in the same order.</summary>
    public static IReadOnlyList<ScenarioResult> Replay(IReadOnlyList<Scenario> scenarios)
    {
        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var input = Path.Combine(Path.GetTempPath(), $"crsqlite-scenarios-{Guid.NewGuid():N}.json");
        File.WriteAllText(input, JsonSerializer.Serialize(new { scenarios }));
        try
        {
            var (code, output) = Run("node", $"replay.mjs \"{input}\"", Root, TimeSpan.FromMinutes(30), stdoutOnly: true);
            if (code != 0)
            {
                throw new InvalidOperationException($"replay.mjs failed (exit {code}):\n{output}");
            }

            var parsed = JsonSerializer.Deserialize<ReplayOutput>(output) ?? throw new InvalidOperationException("replay.mjs printed nothing");
            return parsed.Results;
        }
        finally
        {
            File.Delete(input);
        }
    }

    private sealed record ReplayOutput(
        [property: System.Text.Json.Serialization.JsonPropertyName("results")] IReadOnlyList<ScenarioResult> Results);

    private static (int Code, string Output) Run(string file, string arguments, string directory, TimeSpan timeout, bool stdoutOnly = false)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{file} {arguments} did not finish within {timeout}");
            }

            var output = stdoutOnly && process.ExitCode == 0 ? stdout.Result : stdout.Result + stderr.Result;
            return (process.ExitCode, output);
        }
    }
}

/// <summary>A fact that needs cr-sqlite; reports SKIPPED with the reason when it cannot be installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CrSqliteFactAttribute : FactAttribute
{
    public CrSqliteFactAttribute()
    {
        if (CrSqlite.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs cr-sqlite; reports SKIPPED with the reason when it cannot be installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CrSqliteTheoryAttribute : TheoryAttribute
{
    public CrSqliteTheoryAttribute()
    {
        if (CrSqlite.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}
