using System.Net.Sockets;
using System.Text.Json;
using Corrosion.Cluster.Tests.Support;

namespace Corrosion.Cluster.Tests;

/// <summary>The admin socket and the CLI commands that use it, against real <c>corrosion agent</c> processes.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AdminProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "corrosion-admin-tests", Guid.NewGuid().ToString("N")[..12]);

    private string Socket => Path.Combine(_dir, "node.db.admin.sock");

    private Task<(int ExitCode, string Stdout, string Stderr)> Cli(AgentProcess agent, params string[] args) =>
        CorrosionProcess.RunAsync(Deadline, [.. args, "-c", agent.ConfigPath]);

    [Fact]
    public async Task The_admin_socket_is_private_serves_membership_states_and_goes_with_the_agent()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);

        var mode = File.GetUnixFileMode(Socket);
        var states = await Cli(agent, "cluster", "membership-states");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.True(states.ExitCode == 0, states.Stderr);
        using var json = JsonDocument.Parse(states.Stdout);
        var self = json.RootElement.GetProperty("self");
        Assert.Contains(self.GetProperty("id").GetString()!, agent.Output, StringComparison.Ordinal);
        Assert.Equal("alive", self.GetProperty("state").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("members").GetArrayLength());
        Assert.Equal(0, await agent.StopAsync(Deadline));
        Assert.False(File.Exists(Socket));
    }

    [Fact]
    public async Task A_malformed_frame_closes_only_its_connection()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);
        using (var raw = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await raw.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
            // A length of 4 GiB - 1: larger than admin.max_frame_size.
            await raw.SendAsync(new byte[] { 0xff, 0xff, 0xff, 0xff, (byte)'{' });
            var buffer = new byte[16];
            using var cts = new CancellationTokenSource(Deadline);
            try
            {
                Assert.Equal(0, await raw.ReceiveAsync(buffer, SocketFlags.None, cts.Token));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Closed with the byte after the length still unread: the kernel resets instead of ending the stream.
            }
        }

        var states = await Cli(agent, "cluster", "membership-states");

        Assert.True(states.ExitCode == 0, states.Stderr);
        Assert.Contains("larger than", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_socket_is_a_clear_error_naming_its_path()
    {
        var missing = Path.Combine(_dir, "nobody.sock");

        var result = await CorrosionProcess.RunAsync(Deadline, "subs", "list", "--admin-path", missing);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no admin socket at {missing}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_of_a_running_node_restores_into_the_stopped_node_under_a_new_site_id()
    {
        string oldId;
        await using (var agent = await AgentProcess.StartAsync(_dir))
        {
            var insert = await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", agent.ApiAddr, "INSERT INTO machines (id, region) VALUES ('m-1', 'ams')");
            Assert.True(insert.ExitCode == 0, insert.Stderr);
            var backup = Path.Combine(_dir, "backup.db");

            var made = await Cli(agent, "backup", backup);
            var again = await Cli(agent, "backup", backup);
            var refused = await Cli(agent, "restore", backup);
            var later = await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", agent.ApiAddr, "INSERT INTO machines (id, region) VALUES ('m-2', 'fra')");

            Assert.True(made.ExitCode == 0, made.Stderr);
            Assert.Contains("backup: 100%", made.Stderr, StringComparison.Ordinal);
            Assert.Contains($"backup written to {backup}", made.Stdout, StringComparison.Ordinal);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("exists", again.Stderr, StringComparison.Ordinal);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("the node is running", refused.Stderr, StringComparison.Ordinal);
            Assert.Equal(0, later.ExitCode);
            Assert.Equal(0, await agent.StopAsync(Deadline));
            oldId = ActorIdIn(agent.Output);
        }

        Assert.NotEmpty(oldId);
        var restored = await CorrosionProcess.RunAsync(Deadline, "restore", Path.Combine(_dir, "backup.db"), "-c", Path.Combine(_dir, "node.conf"));
        Assert.True(restored.ExitCode == 0, restored.Stderr);
        Assert.Contains(oldId, restored.Stdout, StringComparison.Ordinal);

        await using var back = await AgentProcess.StartAsync(_dir);
        var rows = await CorrosionProcess.RunAsync(Deadline, "query", "--api-addr", back.ApiAddr, "SELECT id FROM machines ORDER BY id");
        var write = await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", back.ApiAddr, "INSERT INTO machines (id, region) VALUES ('m-3', 'syd')");

        Assert.Equal(["m-1"], rows.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(oldId, ActorIdIn(back.Output), StringComparison.Ordinal);
        Assert.True(write.ExitCode == 0, write.Stderr);
        Assert.Contains("version: 1", write.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing()
    {
        Directory.CreateDirectory(_dir);
        var junk = Path.Combine(_dir, "junk.db");
        await File.WriteAllTextAsync(junk, "not a database");
        await using (var agent = await AgentProcess.StartAsync(_dir))
        {
            await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", agent.ApiAddr, "INSERT INTO machines (id) VALUES ('kept')");
            Assert.Equal(0, await agent.StopAsync(Deadline));
        }

        var result = await CorrosionProcess.RunAsync(Deadline, "restore", junk, "-c", Path.Combine(_dir, "node.conf"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("junk.db is not a readable SQLite database", result.Stderr, StringComparison.Ordinal);
        await using var back = await AgentProcess.StartAsync(_dir);
        var rows = await CorrosionProcess.RunAsync(Deadline, "query", "--api-addr", back.ApiAddr, "SELECT id FROM machines");
        Assert.Equal("kept", rows.Stdout.Trim());
    }

    [Fact]
    public async Task Reload_applies_an_added_column_and_refuses_a_dropped_one_naming_table_and_column()
    {
        Directory.CreateDirectory(_dir);
        var schema = Path.Combine(_dir, "schema.sql");
        await File.WriteAllTextAsync(schema, "CREATE TABLE hosts (id TEXT NOT NULL PRIMARY KEY, region TEXT);");
        await using var agent = await AgentProcess.StartAsync(_dir, $"db.schema_paths = [\"{schema}\"]");

        await File.WriteAllTextAsync(schema, """
            CREATE TABLE hosts (id TEXT NOT NULL PRIMARY KEY, region TEXT, rack TEXT NOT NULL DEFAULT 'r0');
            CREATE TABLE racks (id TEXT NOT NULL PRIMARY KEY);
            """);
        var added = await Cli(agent, "reload");
        var insert = await CorrosionProcess.RunAsync(Deadline, "exec", "--api-addr", agent.ApiAddr, "INSERT INTO hosts (id, region, rack) VALUES ('h-1', 'ams', 'r7')");
        await File.WriteAllTextAsync(schema, "CREATE TABLE hosts (id TEXT NOT NULL PRIMARY KEY, rack TEXT NOT NULL DEFAULT 'r0', extra TEXT); CREATE TABLE racks (id TEXT NOT NULL PRIMARY KEY);");
        var dropped = await Cli(agent, "reload");
        var after = await CorrosionProcess.RunAsync(Deadline, "query", "--api-addr", agent.ApiAddr, "SELECT id, region, rack FROM hosts");
        var noExtra = await CorrosionProcess.RunAsync(Deadline, "query", "--api-addr", agent.ApiAddr, "SELECT extra FROM hosts");

        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Contains("ALTER TABLE \"hosts\" ADD COLUMN \"rack\"", added.Stdout, StringComparison.Ordinal);
        Assert.Contains("tables: hosts, racks", added.Stdout, StringComparison.Ordinal);
        Assert.True(insert.ExitCode == 0, insert.Stderr);
        Assert.Equal(1, dropped.ExitCode);
        Assert.Contains("table hosts column region", dropped.Stderr, StringComparison.Ordinal);
        Assert.Contains("nothing applied", dropped.Stderr, StringComparison.Ordinal);
        Assert.Equal("h-1|ams|r7", after.Stdout.Trim());
        Assert.NotEqual(0, noExtra.ExitCode);
    }

    [Fact]
    public async Task Subs_list_and_info_show_a_live_subscription()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);
        using var http = new HttpClient { BaseAddress = agent.ApiAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/subscriptions") { Content = new StringContent("\"SELECT id, region FROM machines\"", System.Text.Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var id = response.Headers.GetValues("corro-query-id").Single();

        var list = await Cli(agent, "subs", "list");
        var info = await Cli(agent, "subs", "info", id);
        var unknown = await Cli(agent, "subs", "info", "no-such-id");

        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains(id, list.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 subscription(s)", list.Stdout, StringComparison.Ordinal);
        Assert.True(info.ExitCode == 0, info.Stderr);
        using var json = JsonDocument.Parse(info.Stdout);
        Assert.Equal("SELECT id, region FROM machines", json.RootElement.GetProperty("sql").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("listeners").GetInt32());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no subscription no-such-id", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_set_changes_the_running_agents_level_and_reset_restores_it()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);

        var bad = await Cli(agent, "log", "set", "loud");
        var quiet = await Cli(agent, "log", "set", "error");
        var hidden = await Cli(agent, "backup", Path.Combine(_dir, "hidden.db"));
        var reset = await Cli(agent, "log", "reset");
        var shown = await Cli(agent, "backup", Path.Combine(_dir, "shown.db"));

        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("\"loud\" is not a log level", bad.Stderr, StringComparison.Ordinal);
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.Contains("log filter: error", quiet.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, hidden.ExitCode);
        Assert.Contains("log filter: info,Microsoft=warning", reset.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, shown.ExitCode);
        using var cts = new CancellationTokenSource(Deadline);
        while (!agent.Output.Contains("shown.db", StringComparison.Ordinal))
        {
            await Task.Delay(50, cts.Token);
        }

        Assert.DoesNotContain("hidden.db", agent.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejoin_announces_to_the_bootstrap_list_and_is_refused_with_nothing_to_join()
    {
        var alone = Path.Combine(_dir, "alone");
        await using var lonely = await AgentProcess.StartAsync(alone);
        await using var agent = await AgentProcess.StartAsync(_dir, "membership.bootstrap = [\"127.0.0.1:9\"]");

        var refused = await CorrosionProcess.RunAsync(Deadline, "cluster", "rejoin", "-c", lonely.ConfigPath);
        var rejoined = await Cli(agent, "cluster", "rejoin");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("nothing to rejoin through", refused.Stderr, StringComparison.Ordinal);
        Assert.True(rejoined.ExitCode == 0, rejoined.Stderr);
        Assert.Contains("1 bootstrap entr", rejoined.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_reconcile_gaps_recounts_from_the_database()
    {
        await using var agent = await AgentProcess.StartAsync(_dir);

        var result = await Cli(agent, "sync", "reconcile-gaps");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(0, json.RootElement.GetProperty("gaps_after").GetInt64());
        Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("needs").ValueKind);
    }

    [Fact]
    public async Task A_bad_admin_mode_is_a_configuration_error_naming_the_key()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "bad.conf");
        await File.WriteAllTextAsync(config, "admin.mode = \"0999\"\n");

        var result = await CorrosionProcess.RunAsync(Deadline, "agent", "--check", "-c", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("admin.mode", result.Stderr, StringComparison.Ordinal);
    }

    private static string ActorIdIn(string output) =>
        System.Text.RegularExpressions.Regex.Match(output, @"corrosion agent ([0-9a-f-]{36}) listening").Groups[1].Value;

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
}
