using System.Reflection;
using Corrosion.Agent.Hosting;
using Corrosion.Agent.Node;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Tests.Hosting;

public sealed class EmbeddedNodeConfigurationTests
{
    private static IConfigurationRoot Service(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, v.Value))).Build();

    [Fact]
    public void Keys_the_service_leaves_out_come_from_reference_conf()
    {
        var layered = EmbeddedNodeConfiguration.Build(Service(("db:path", "/tmp/x.db")));

        Assert.Equal("30s", layered["api:default_timeout"]);
        Assert.Equal("true", layered["embedded:http_api"]);
        Assert.StartsWith("reference.conf:", layered.OriginOf("api:default_timeout"), StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_the_service_sets_win_over_reference_conf()
    {
        var layered = EmbeddedNodeConfiguration.Build(Service(("db:path", "/tmp/x.db"), ("api:addr", "127.0.0.1:0")));

        Assert.Equal("/tmp/x.db", layered["db:path"]);
        Assert.Equal("127.0.0.1:0", layered["api:addr"]);
    }

    [Fact]
    public void A_section_of_the_service_configuration_is_read_relative_to_the_section()
    {
        var service = Service(("Corrosion:db:read_pool_size", "7"), ("db:read_pool_size", "9"));

        var options = EmbeddedNodeConfiguration.LoadNodeOptions(service.GetSection("Corrosion"));

        Assert.Equal(7, options.Db.ReadPoolSize);
        Assert.Equal("NORMAL", options.Db.Synchronous);
    }

    [Fact]
    public void Children_of_both_layers_are_listed_once_each()
    {
        var layered = EmbeddedNodeConfiguration.Build(Service(("db:path", "/tmp/x.db"), ("db:demo_schema", "false")));

        var keys = layered.GetSection("db").GetChildren().Select(c => c.Key).ToList();

        Assert.Equal(keys.Distinct(StringComparer.OrdinalIgnoreCase).Count(), keys.Count);
        Assert.Contains("path", keys);
        Assert.Contains("demo_schema", keys);
        Assert.Contains("read_pool_size", keys);
    }

    [Fact]
    public void An_array_the_service_sets_binds_in_order()
    {
        var layered = EmbeddedNodeConfiguration.Build(Service(("db:schema_paths:0", "/a.sql"), ("db:schema_paths:1", "/b.sql")));

        var options = layered.GetSection("db").Get<DbOptions>()!;

        Assert.Equal(["/a.sql", "/b.sql"], options.SchemaPaths);
    }

    [Fact]
    public void A_wrong_type_in_the_embedded_section_names_the_key()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            EmbeddedNodeConfiguration.LoadHostingOptions(Service(("embedded:http_api", "sometimes"))));

        Assert.Contains("embedded:http_api", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_hosting_option_has_its_default_in_reference_conf()
    {
        var keys = HoconParser.Parse(NodeConfiguration.ReferenceText(), "reference.conf").Flatten().Select(kv => kv.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var fromReference = EmbeddedNodeConfiguration.LoadHostingOptions(Service());
        var inCode = new CorrosionHostingOptions();

        foreach (var property in typeof(CorrosionHostingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{EmbeddedNodeConfiguration.HostingSection}:{property.GetCustomAttribute<ConfigurationKeyNameAttribute>()!.Name}";
            Assert.True(keys.Contains(key), $"reference.conf has no default for {key.Replace(':', '.')}");
            Assert.Equal(property.GetValue(inCode), property.GetValue(fromReference));
        }
    }
}
