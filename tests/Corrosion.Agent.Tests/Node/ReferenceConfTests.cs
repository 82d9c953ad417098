using System.Reflection;
using Corrosion.Agent.Node;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Tests.Node;

public sealed class ReferenceConfTests
{
    private static readonly HashSet<string> Keys = HoconParser.Parse(NodeConfiguration.ReferenceText(), "reference.conf")
        .Flatten()
        .Select(kv => kv.Key)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static TheoryData<string, Type> OptionSections => new()
    {
        { "db", typeof(DbOptions) },
        { "api", typeof(ApiOptions) },
        { "api:authz", typeof(AuthzOptions) },
        { "supervision", typeof(SupervisionOptions) },
        { "telemetry", typeof(Corrosion.Agent.Telemetry.TelemetryOptions) },
        { "telemetry:prometheus", typeof(Corrosion.Agent.Telemetry.PrometheusOptions) },
        { "telemetry:otlp", typeof(Corrosion.Agent.Telemetry.OtlpOptions) },
        { "admin", typeof(Corrosion.Agent.Admin.AdminOptions) },
    };

    [Theory]
    [MemberData(nameof(OptionSections))]
    public void Every_option_has_a_default_in_reference_conf(string section, Type options)
    {
        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            if (property.PropertyType.IsClass && property.PropertyType != typeof(string) && !property.PropertyType.IsGenericType)
            {
                continue; // a nested section, checked on its own
            }

            var name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name.ToLowerInvariant();
            var key = $"{section}:{name}";
            var isList = property.PropertyType.IsGenericType;
            Assert.True(Keys.Contains(key) || (isList && ReferenceListIsEmpty(key)), $"reference.conf has no default for {key.Replace(':', '.')}");
        }
    }

    // Empty lists flatten to no keys; their presence is checked in the text.
    private static bool ReferenceListIsEmpty(string key)
    {
        var leaf = key[(key.LastIndexOf(':') + 1)..];
        return NodeConfiguration.ReferenceText().Contains($"{leaf} = []", StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_defaults_bind_to_the_documented_values()
    {
        var options = NodeConfiguration.Load(null);

        Assert.Equal(DbOptions.DefaultPath, options.Db.Path);
        Assert.Equal(ApiOptions.DefaultAddr, options.Api.Addr);
        Assert.Equal(8 * 1024 * 1024, options.Api.MaxBodySize.Bytes);
        Assert.Equal(8 * 1024 * 1024, options.Db.MaxValueSize.Bytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Api.DefaultTimeout);
        Assert.Empty(options.Api.Authz.BearerTokens);
        Assert.True(options.Db.DemoSchema);
    }

    [Fact]
    public void A_user_file_and_the_environment_override_the_defaults()
    {
        using var dir = new Support.TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, "api { addr = \"127.0.0.1:9999\", max_body_size = 1MiB }\ndb.schema_paths = [\"a.sql\", \"b\"]\n");

        var options = NodeConfiguration.Load(file, [new("db:path", "/tmp/elsewhere.db")]);

        Assert.Equal("127.0.0.1:9999", options.Api.Addr);
        Assert.Equal(1024 * 1024, options.Api.MaxBodySize.Bytes);
        Assert.Equal(["a.sql", "b"], options.Db.SchemaPaths);
        Assert.Equal("/tmp/elsewhere.db", options.Db.Path);
    }

    [Fact]
    public void Group_commit_size_defaults_to_64_and_binds_from_the_file()
    {
        using var dir = new Support.TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, "db.group_commit_max = 8\n");

        Assert.Equal(64, NodeConfiguration.Load(null).Db.GroupCommitMax);
        Assert.Equal(8, NodeConfiguration.Load(file).Db.GroupCommitMax);
    }

    [Theory]
    [InlineData("api.addr = \"nowhere\"", "api.addr", 3)]
    [InlineData("db.read_pool_size = 0", "db.read_pool_size", 3)]
    [InlineData("db.group_commit_max = 0", "db.group_commit_max", 3)]
    [InlineData("db.synchronous = \"SOMETIMES\"", "db.synchronous", 3)]
    [InlineData("api.max_body_size = lots", "api.max_body_size", 3)]
    [InlineData("api { default_timeout = forever }", "api.default_timeout", 3)]
    [InlineData("gossip.max_frame_size = 10", "gossip.max_frame_size", 3)]
    [InlineData("db.max_value_size = 10", "db.max_value_size", 3)]
    [InlineData("db.max_value_size = 2GiB", "db.max_value_size", 3)]
    [InlineData("admin.mode = \"0999\"", "admin.mode", 3)]
    [InlineData("admin.mode = \"0200\"", "admin.mode", 3)]
    [InlineData("admin.max_frame_size = 10", "admin.max_frame_size", 3)]
    [InlineData("admin.command_timeout = 0s", "admin.command_timeout", 3)]
    [InlineData("admin.path = \"/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\"", "admin.path", 3)]
    public void An_invalid_value_is_refused_naming_file_line_and_key(string line, string key, int lineNumber)
    {
        using var dir = new Support.TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, "# a node\n\n" + line + "\n");

        var error = Assert.Throws<ConfigurationException>(() => NodeConfiguration.Load(file));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{file}:{lineNumber}:", error.Message, StringComparison.Ordinal);
    }
}
