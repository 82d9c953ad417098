using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

public sealed class SingleNodeProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-cluster-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_real_agent_takes_writes_from_the_cli_and_answers_queries()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);

        var insert = await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", agent.ApiAddr,
            "INSERT INTO machines (id, region) VALUES (?, ?)", "--param", "m-1", "--param", "ams");
        var query = await CorrosionProcess.RunAsync(Deadline, "query", "--api-addr", agent.ApiAddr, "--columns",
            "SELECT id, region, state FROM machines");

        Assert.True(insert.ExitCode == 0, insert.Stderr);
        Assert.Contains("rows affected: 1, version: 1", insert.Stdout, StringComparison.Ordinal);
        Assert.True(query.ExitCode == 0, query.Stderr);
        Assert.Equal(["id|region|state", "m-1|ams|created"], query.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, await agent.StopAsync(Deadline));
    }

    [Fact]
    public async Task The_cli_exits_non_zero_with_the_servers_message_on_bad_sql()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);

        var result = await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", agent.ApiAddr, "INSERT INTO nowhere VALUES (1)");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no such table", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_reports_an_unreachable_node()
    {
        var result = await CorrosionProcess.RunAsync(Deadline, "query", "--api-addr", "127.0.0.1:1", "SELECT 1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot reach the node", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_refuses_a_bad_config_file_naming_file_and_line()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "bad.conf");
        await File.WriteAllTextAsync(config, "api {\n  addr = \"127.0.0.1:0\"\n");

        var result = await CorrosionProcess.RunAsync(Deadline, "agent", "-c", config);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("bad.conf", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("line", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
