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
    public async Task The_agent_logs_one_line_per_event_with_a_utc_timestamp_at_info_and_above()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);
        Assert.Equal(0, await agent.StopAsync(Deadline));

        var lines = agent.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        var logLines = lines.Where(l => !l.StartsWith("corrosion agent ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(logLines);
        // The simple console format on one line: "2026-12-07T10:02:40.267Z info: Category[event id] message".
        Assert.All(logLines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warn|fail|crit): [A-Za-z.]+\[\d+\] \S", l));
        Assert.Contains(logLines, l => l.Contains(" info: Corrosion.Agent.Storage.CrdtStore[", StringComparison.Ordinal) && l.Contains("Opened store", StringComparison.Ordinal));
        // The start-up filter (info, Microsoft=warning): no debug lines, no ASP.NET Core information lines.
        Assert.DoesNotContain(logLines, l => l.Contains(" info: Microsoft.", StringComparison.Ordinal));
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

    /// <summary>A UDP socket on a loopback port whose TCP number nothing holds (else the TCP transport, not SWIM, fails first).</summary>
    private static System.Net.Sockets.UdpClient UdpPortWithTcpFree()
    {
        for (var attempt = 0; ; attempt++)
        {
            var udp = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            var port = ((System.Net.IPEndPoint)udp.Client.LocalEndPoint!).Port;
            try
            {
                using var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                tcp.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
                return udp;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 20)
            {
                udp.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_agent_whose_actor_keeps_failing_exits_70_naming_the_cause()
    {
        // SWIM's UDP port is taken, so the membership actor fails on every start; the supervisor gives
        // up after two restarts. The TCP transport binds the same number, so that one must be free.
        using var blocker = UdpPortWithTcpFree();
        var port = ((System.Net.IPEndPoint)blocker.Client.LocalEndPoint!).Port;
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "node.conf");
        await File.WriteAllTextAsync(config, $$"""
            db.path = "{{Path.Combine(_dir, "node.db")}}"
            api.addr = "127.0.0.1:0"
            gossip { addr = "127.0.0.1:{{port}}", plaintext = true }
            supervision { min_backoff = 10ms, max_backoff = 50ms, max_restarts = 2 }
            """);

        var result = await CorrosionProcess.RunAsync(Deadline, "agent", "-c", config);

        Assert.True(result.ExitCode == 70, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("stopped after a failure: actor membership kept failing", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot bind UDP", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_writes_only_its_own_lines_and_akkas_through_its_log_format()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);
        Assert.Equal(0, await agent.StopAsync(Deadline));

        var lines = agent.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(lines, line => Assert.Matches(@"^(\d{4}-\d\d-\d\dT\S+Z (trce|dbug|info|warn|fail|crit): |corrosion agent )", line));
        Assert.Contains(lines, line => line.Contains("Corrosion.Agent.Membership.MembershipActor", StringComparison.Ordinal));
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
