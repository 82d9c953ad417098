using System.Diagnostics;
using System.Globalization;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

/// <summary>
/// Agents started by a test host that was then killed lived on (reparented to PID 1) and ate CPU.
/// With <c>CORROSION_EXIT_WITH_PARENT=PID</c> an agent stops once that process is gone.
/// </summary>
public sealed class OrphanedAgentTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-cluster-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task An_agent_whose_starting_process_is_killed_stops_by_itself()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "node.conf");
        var log = Path.Combine(_dir, "agent.log");
        await File.WriteAllTextAsync(config, $"""
            db.path = "{Path.Combine(_dir, "node.db")}"
            api.addr = "127.0.0.1:0"
            gossip.addr = "127.0.0.1:0"
            """);

        // A stand-in test host: a shell that starts the agent watching the shell, prints the
        // agent's id, and is then SIGKILLed, as a killed test host would be.
        var info = CorrosionProcess.StartInfo();
        info.FileName = "bash";
        info.ArgumentList.Clear();
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("""CORROSION_EXIT_WITH_PARENT=$$ dotnet "$0" agent -c "$1" > "$2" 2>&1 & echo $!; wait""");
        info.ArgumentList.Add(CorrosionProcess.ExecutablePath);
        info.ArgumentList.Add(config);
        info.ArgumentList.Add(log);
        info.Environment.Remove("CORROSION_EXIT_WITH_PARENT");
        using var shell = Process.Start(info)!;
        var agentPid = int.Parse((await shell.StandardOutput.ReadLineAsync())!, CultureInfo.InvariantCulture);
        try
        {
            await WaitUntilAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("listening on", StringComparison.Ordinal), "the agent to listen", log);
            Assert.True(IsRunning(agentPid), "the agent is not running");

            shell.Kill();
            await shell.WaitForExitAsync();

            await WaitUntilAsync(() => !IsRunning(agentPid), $"the orphaned agent {agentPid} to stop", log);
            Assert.Contains("parent process", await File.ReadAllTextAsync(log), StringComparison.Ordinal);
        }
        finally
        {
            if (IsRunning(agentPid))
            {
                using var agent = Process.GetProcessById(agentPid);
                agent.Kill();
            }
        }
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    public async Task A_bad_parent_id_is_a_start_up_error_naming_the_variable(string value)
    {
        var result = await CorrosionProcess.RunAsync(Deadline, new Dictionary<string, string> { ["CORROSION_EXIT_WITH_PARENT"] = value }, "agent");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("CORROSION_EXIT_WITH_PARENT must be a process id", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Running: its /proc entry exists and it is not a zombie waiting for PID 1 to reap it.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, string log)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Deadline)
            {
                Assert.Fail($"timed out after {Deadline} waiting for {what}; agent log:\n{(File.Exists(log) ? await File.ReadAllTextAsync(log) : "(none)")}");
            }

            await Task.Delay(100);
        }
    }
}
