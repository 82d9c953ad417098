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

    [Theory]
    [InlineData("api.addr = \"nowhere\"", "api.addr")]
    [InlineData("db.read_pool_size = 0", "db.read_pool_size")]
    [InlineData("db.synchronous = \"SOMETIMES\"", "db.synchronous")]
    public void An_invalid_value_is_refused_naming_the_key(string line, string key)
    {
        using var dir = new Support.TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, line + "\n");

        var error = Assert.ThrowsAny<Exception>(() => NodeConfiguration.Load(file));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
