using Corrosion.Cluster.Tests.Support;
using Corrosion.Hocon;

namespace Corrosion.Cluster.Tests;

/// <summary><c>corrosion agent --check</c> as an operator runs it: the real executable, exit codes and output.</summary>
public sealed class AgentCheckProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "corrosion-check-tests", Guid.NewGuid().ToString("N"))).FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_valid_configuration_prints_the_effective_configuration_with_secrets_masked_and_exits_0()
    {
        Write("schema.sql", "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, v TEXT);");
        var config = Write("node.conf", $$"""
            db { path = "{{_dir}}/node.db", schema_paths = ["{{_dir}}/schema.sql"] }
            api.authz.bearer_tokens = ["s3cret-token-value"]
            gossip.tls { cert_file = "/etc/corrosion/node.crt", key_file = "/etc/corrosion/node.key" }
            membership.bootstrap = ["10.0.0.1:8787", "10.0.0.2:8787"]
            """);

        var result = await CorrosionProcess.RunAsync(Deadline, new Dictionary<string, string> { ["CORROSION_DB__READ_POOL_SIZE"] = "2" }, "agent", "--check", "-c", config);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.DoesNotContain("s3cret", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"bootstrap = [\"10.0.0.1:8787\", \"10.0.0.2:8787\"]  # {config}:4:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("read_pool_size = 2  # environment variable CORROSION_DB__READ_POOL_SIZE", result.Stdout, StringComparison.Ordinal);
        var effective = HoconParser.Parse(result.Stdout, "stdout");
        Assert.Equal([EffectiveConfiguration.Mask], effective.GetStringList("api.authz.bearer_tokens"));
        Assert.Equal("/etc/corrosion/node.key", effective.GetString("gossip.tls.key_file"));
        Assert.Equal(2, effective.GetInt("db.read_pool_size"));
        Assert.Equal(TimeSpan.FromSeconds(30), effective.GetDuration("api.default_timeout"));
        Assert.Equal(string.Empty, effective.GetString("subscriptions.path"));
        Assert.False(effective.HasPath("membership.probe_interval"));
        Assert.False(File.Exists(Path.Combine(_dir, "node.db")), "--check must not open the database");
    }

    [Fact]
    public async Task Corrosions_gossip_bootstrap_fails_the_check_pointing_at_membership_bootstrap()
    {
        var config = Write("node.conf", "db.path = x.db\ngossip {\n  bootstrap = [\"10.0.0.1:8787\"]\n}\n");

        var result = await CorrosionProcess.RunAsync(Deadline, "agent", "--check", "-c", config);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains($"{config}:3:16: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap?", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_environment_override_fails_the_check_naming_the_variable()
    {
        var result = await CorrosionProcess.RunAsync(Deadline, new Dictionary<string, string> { ["CORROSION_GOSSIP__BOOTSTRAP"] = "10.0.0.1:8787" }, "agent", "--check");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(
            "environment variable CORROSION_GOSSIP__BOOTSTRAP: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap (CORROSION_MEMBERSHIP__BOOTSTRAP)?",
            result.Stderr,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Variables_that_are_not_configuration_are_left_alone()
    {
        var result = await CorrosionProcess.RunAsync(Deadline, new Dictionary<string, string> { ["CORROSION_WORK"] = "/tmp/somewhere" }, "agent", "--check");

        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [Theory]
    [InlineData("db.read_pool_size = 0", "node.conf:1:21: configuration key db.read_pool_size")]
    [InlineData("\ngossip.tls.key_file = /x.key", "node.conf:2:")]
    [InlineData("db.schema_paths = [\"/nonexistent/schema.sql\"]", "/nonexistent/schema.sql")]
    [InlineData("api {\n addr = ", "node.conf:2:")]
    public async Task An_invalid_configuration_fails_the_check_with_the_reason(string text, string expected)
    {
        var config = Write("node.conf", text);

        var result = await CorrosionProcess.RunAsync(Deadline, "agent", "--check", "-c", config);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_that_cannot_be_replicated_fails_the_check()
    {
        Write("schema.sql", "CREATE TABLE t (v TEXT);");
        var config = Write("node.conf", $"db.schema_paths = [\"{_dir}/schema.sql\"]");

        var result = await CorrosionProcess.RunAsync(Deadline, "agent", "--check", "-c", config);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("primary key", result.Stderr, StringComparison.OrdinalIgnoreCase);
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
    }
}
