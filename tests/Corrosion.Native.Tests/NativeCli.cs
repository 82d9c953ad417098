using System.Diagnostics;
using System.Text;

namespace Corrosion.Native.Tests;

/// <summary>
/// The NativeAOT <c>corrosion</c> executable, published once for the test run by the README's command
/// (<c>dotnet publish src/Corrosion.Cli -c Release -r linux-x64 -p:PublishAot=true</c>) into a scratch
/// directory, so the normal build's outputs are left alone. <c>CORROSION_NATIVE_CLI=path</c> uses a binary
/// published already (<c>.ci/run</c> publishes one before the tests: a publish takes minutes). Without a C compiler and linker (clang or gcc, which NativeAOT links with) the
/// tests report skipped with the reason; a publish that fails is a test failure.
/// </summary>
public sealed class NativeCli : IAsyncLifetime
{
    private static readonly TimeSpan PublishDeadline = TimeSpan.FromMinutes(15);
    private readonly string _scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"corrosion-native-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>The native executable, once published.</summary>
    public string? Executable { get; private set; }

    /// <summary>Why the native executable cannot be built here (the tests skip), or null.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Why the publish failed (the tests fail), or null.</summary>
    public string? PublishError { get; private set; }

    /// <summary>How long the publish took (reported by the tests).</summary>
    public TimeSpan PublishTime { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("CORROSION_NATIVE_CLI") is { Length: > 0 } given)
        {
            Executable = System.IO.Path.GetFullPath(given);
            PublishError = File.Exists(Executable) ? null : $"CORROSION_NATIVE_CLI={given}: no such file";
            return;
        }

        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            SkipReason = "the native build is published for linux-x64 only";
            return;
        }

        if (!OnPath("clang") && !OnPath("gcc"))
        {
            SkipReason = "NativeAOT links with clang or gcc, and neither is installed (.ci/run installs clang when it runs as root)";
            return;
        }

        var repository = RepositoryRoot();
        var publish = System.IO.Path.Combine(_scratch, "publish");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repository,
        };
        foreach (var arg in new[]
        {
            "publish", System.IO.Path.Combine("src", "Corrosion.Cli", "Corrosion.Cli.csproj"), "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true",
            // Its own obj/bin tree: the normal Release build beside the tests stays as it is.
            "--artifacts-path", System.IO.Path.Combine(_scratch, "artifacts"), "-o", publish,
            // No MSBuild nodes or compiler servers are left running after the test.
            "--disable-build-servers", "-nodeReuse:false",
        })
        {
            info.ArgumentList.Add(arg);
        }

        // The test host's MSBuild variables (set by `dotnet test`) would point the child at the wrong SDK pieces.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        var clock = Stopwatch.StartNew();
        var output = new StringBuilder();
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(PublishDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            PublishError = $"the native publish did not finish within {PublishDeadline}:\n{Tail(output)}";
            return;
        }

        PublishTime = clock.Elapsed;
        var executable = System.IO.Path.Combine(publish, "corrosion");
        if (process.ExitCode != 0 || !File.Exists(executable))
        {
            PublishError = $"dotnet publish -p:PublishAot=true exited with {process.ExitCode}:\n{Tail(output)}";
            return;
        }

        Executable = executable;
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>The executable, or skips (no compiler) or fails (the publish failed) the calling test.</summary>
    public string Require()
    {
        Skip.If(SkipReason is not null, SkipReason);
        Assert.True(PublishError is null, PublishError);
        return Executable!;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Tail(StringBuilder output)
    {
        lock (output)
        {
            var lines = output.ToString().Split('\n');
            return string.Join('\n', lines.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(20).Concat(lines.TakeLast(20)));
        }
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(System.IO.Path.Combine(dir, name)));

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Corrosion.Actors.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no Corrosion.Actors.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>One publish for every test of the project; the tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeCliCollection : ICollectionFixture<NativeCli>
{
    public const string Name = "native cli";
}
