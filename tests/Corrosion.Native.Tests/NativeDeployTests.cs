using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Corrosion.Native.Tests;

/// <summary>
/// deploy/ runs the native executable: the systemd unit with <c>MemoryDenyWriteExecute=yes</c> (here the
/// kernel's equivalent, <c>PR_SET_MDWE</c>, which the JIT build does not survive) and the container image with
/// only the executable and SQLite beside it, configured by the Dockerfile's environment.
/// </summary>
[Collection(NativeCliCollection.Name)]
public sealed partial class NativeDeployTests(NativeCli cli, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"corrosion-native-deploy-{Guid.NewGuid():N}");

    /// <summary>
    /// A launcher that forbids the process to ever make memory executable that was not (prctl PR_SET_MDWE,
    /// PR_MDWE_REFUSE_EXEC_GAIN: no writable-and-executable mapping, no mprotect to executable), as systemd's
    /// MemoryDenyWriteExecute does with a seccomp filter; checks that it bites, then execs its arguments.
    /// <c>--probe</c> alone: exits 0 when the calling process may not make memory executable.
    /// </summary>
    private const string MdweLauncher = """
        #include <errno.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/mman.h>
        #include <sys/prctl.h>
        #include <unistd.h>
        #ifndef PR_SET_MDWE
        #define PR_SET_MDWE 65
        #endif
        #ifndef PR_MDWE_REFUSE_EXEC_GAIN
        #define PR_MDWE_REFUSE_EXEC_GAIN 1
        #endif
        static int refused(void) {
          void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          return page != MAP_FAILED && mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0;
        }
        int main(int argc, char **argv) {
          if (argc < 2) return 125;
          if (strcmp(argv[1], "--probe") == 0) return refused() ? 0 : 122;
          if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) { fprintf(stderr, "prctl(PR_SET_MDWE): %s\n", strerror(errno)); return 124; }
          if (!refused()) { fprintf(stderr, "PR_SET_MDWE is not enforced\n"); return 123; }
          execv(argv[1], argv + 1);
          fprintf(stderr, "execv %s: %s\n", argv[1], strerror(errno));
          return 127;
        }
        """;

    [SkippableFact]
    public async Task The_native_agent_runs_where_memory_may_never_become_executable()
    {
        var executable = cli.Require();
        var launcher = await CompileMdweLauncherAsync();
        // The restriction holds in the program the launcher execs (here: itself, probing).
        var (exit, _, stderr) = await RunAsync(launcher, launcher, "--probe");
        Skip.If(exit == 124, $"this kernel has no PR_SET_MDWE (Linux 6.3+): {stderr.Trim()}");
        Assert.True(exit == 0, $"the launcher's own check failed ({exit}): {stderr}");
        Assert.Equal(122, (await RunAsync(launcher, "--probe")).ExitCode);

        await using var agent = await NativeAgent.StartAsync(executable, _dir, """
            api.addr = "127.0.0.1:0"
            gossip.addr = "127.0.0.1:0"
            """, [launcher], new Dictionary<string, string>());
        using var http = new HttpClient { BaseAddress = agent.Api, Timeout = Deadline };

        // A write runs the CRR triggers, which call back into the node (functions registered with SQLite).
        var write = await http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), Json("""[["INSERT INTO machines (id, region) VALUES (?, ?)", ["m-1", "ams"]]]"""));
        Assert.True(write.StatusCode == HttpStatusCode.OK, await write.Content.ReadAsStringAsync());
        var rows = await (await http.PostAsync(new Uri("/v1/queries", UriKind.Relative), Json("\"SELECT id, region FROM machines\""))).Content.ReadAsStringAsync();
        Assert.Contains("{\"row\":[1,[\"m-1\",\"ams\"]]}", rows, StringComparison.Ordinal);
        Assert.Contains("corrosion_storage_transactions_total", await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);

        Assert.Equal(0, await agent.StopAsync(Deadline));
    }

    [SkippableFact]
    public async Task The_container_images_two_files_run_the_agent_configured_by_the_dockerfiles_environment()
    {
        var executable = cli.Require();
        var dockerfile = await File.ReadAllLinesAsync(Path.Combine(NativeCli.RepositoryRoot(), "deploy", "Dockerfile"));

        // COPY --from=build /publish/corrosion /publish/libe_sqlite3.so ./ : only those, into an empty /app.
        var copy = dockerfile.Single(l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var app = Directory.CreateDirectory(Path.Combine(_dir, "app")).FullName;
        foreach (var source in copy[2..^1])
        {
            File.Copy(Path.Combine(Path.GetDirectoryName(executable)!, Path.GetFileName(source)), Path.Combine(app, Path.GetFileName(source)));
        }

        // The image's paths, moved under this test's directory; its addresses on free loopback ports.
        var schema = Path.Combine(_dir, "etc", "corrosion", "schema");
        Directory.CreateDirectory(schema);
        foreach (var file in Directory.GetFiles(Path.Combine(NativeCli.RepositoryRoot(), "hocon", "examples", "schema")))
        {
            File.Copy(file, Path.Combine(schema, Path.GetFileName(file)));
        }

        var environment = DockerEnvironment(dockerfile).ToDictionary(
            kv => kv.Key,
            kv => kv.Value.Replace("/var/lib/corrosion", Path.Combine(_dir, "var"), StringComparison.Ordinal).Replace("/etc/corrosion", Path.Combine(_dir, "etc", "corrosion"), StringComparison.Ordinal));
        output.WriteLine(string.Join('\n', environment.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal("0.0.0.0:8080", environment["CORROSION_API__ADDR"]);
        environment["CORROSION_API__ADDR"] = "127.0.0.1:0";
        environment["CORROSION_GOSSIP__ADDR"] = "127.0.0.1:0";

        // ENTRYPOINT ["/app/corrosion"], CMD ["agent"]: no configuration file.
        Assert.Contains("ENTRYPOINT [\"/app/corrosion\"]", dockerfile);
        Assert.Contains("CMD [\"agent\"]", dockerfile);
        await using var agent = await NativeAgent.StartAsync(Path.Combine(app, "corrosion"), _dir, config: null, launcher: [], environment);
        using var http = new HttpClient { BaseAddress = agent.Api, Timeout = Deadline };

        // A write and a read on the schema the image ships (CORROSION_DB__SCHEMA_PATHS__0), in the database the image names.
        var write = await http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), Json("""[["INSERT INTO services (name, machine_id, port) VALUES (?, ?, ?)", ["api", "m-1", 8080]]]"""));
        Assert.True(write.StatusCode == HttpStatusCode.OK, await write.Content.ReadAsStringAsync());
        var rows = await (await http.PostAsync(new Uri("/v1/queries", UriKind.Relative), Json("\"SELECT name, port FROM services\""))).Content.ReadAsStringAsync();
        Assert.Contains("[\"api\",8080]", rows, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "var", "corrosion.db")), agent.Output);
        Assert.False(File.Exists(Path.Combine(_dir, "var", "demo-schema.sql")), "the demo schema was used, not the image's schema directory");

        Assert.Equal(0, await agent.StopAsync(Deadline));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>The variables of the Dockerfile's ENV instruction (<c>ENV A=1 \ B=2</c>).</summary>
    private static Dictionary<string, string> DockerEnvironment(string[] dockerfile)
    {
        var start = Array.FindIndex(dockerfile, l => l.StartsWith("ENV ", StringComparison.Ordinal));
        var text = new StringBuilder(dockerfile[start][4..]);
        for (var i = start; dockerfile[i].TrimEnd().EndsWith('\\'); i++)
        {
            text.Append(' ').Append(dockerfile[i + 1]);
        }

        return EnvPair().Matches(text.ToString()).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    [GeneratedRegex(@"([A-Z_0-9]+)=(\S+)")]
    private static partial Regex EnvPair();

    private async Task<string> CompileMdweLauncherAsync()
    {
        var compiler = new[] { "cc", "clang", "gcc" }.FirstOrDefault(OnPath);
        Skip.If(compiler is null, "no C compiler (cc, clang or gcc) to build the PR_SET_MDWE launcher");
        Directory.CreateDirectory(_dir);
        var source = Path.Combine(_dir, "mdwe.c");
        var launcher = Path.Combine(_dir, "mdwe");
        await File.WriteAllTextAsync(source, MdweLauncher);
        var (exit, stdout, stderr) = await RunAsync(compiler!, "-O2", "-o", launcher, source);
        Assert.True(exit == 0, $"{compiler}: {stdout}{stderr}");
        return launcher;
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] args) =>
        ChildProcess.RunAsync(Deadline, program, args);
}
