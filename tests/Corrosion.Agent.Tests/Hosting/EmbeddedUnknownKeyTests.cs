using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Tests.Hosting;

public sealed class EmbeddedUnknownKeyTests
{
    [Fact]
    public async Task An_unknown_key_in_appsettings_json_fails_the_start_naming_the_file_line_and_closest_key()
    {
        using var dir = new TempDirectory();
        var json = dir.File("appsettings.json");
        File.WriteAllText(json, $$"""
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "Corrosion": {
                "db": { "path": "{{dir.File("node.db").Replace("\\", "\\\\", StringComparison.Ordinal)}}" },
                "gossip": {
                  "bootstrap": [ "10.0.0.1:8787" ]
                }
              }
            }
            """);
        await using var host = EmbeddedHost.Build(
            dir: dir,
            configureConfiguration: c => c.AddJsonFile(json),
            nodeSection: c => c.GetSection("Corrosion"));

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => host.Host.StartAsync());

        Assert.Equal($"{json}:6:22: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap?", error.Message);
    }

    [Fact]
    public async Task A_whole_service_configuration_keeps_its_other_sections_but_not_a_mistyped_node_key()
    {
        await using var host = EmbeddedHost.Build(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Debug",
            ["AllowedHosts"] = "*",
            ["api:max_body_sise"] = "1MiB",
        });

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => host.Host.StartAsync());

        Assert.Equal("unknown configuration key api.max_body_sise; did you mean api.max_body_size?", error.Message);
    }

    [Fact]
    public async Task Known_keys_in_a_section_start_the_node()
    {
        await using var host = EmbeddedHost.Build(
            configureConfiguration: c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Debug",
                ["Corrosion:db:read_pool_size"] = "2",
                ["Corrosion:api:addr"] = "127.0.0.1:0",
                ["Corrosion:gossip:addr"] = "127.0.0.1:0",
                ["Corrosion:embedded:http_api"] = "false",
            }),
            nodeSection: c => c.GetSection("Corrosion"));

        await host.Host.StartAsync();

        Assert.Equal(2, host.Node.Options.Db.ReadPoolSize);
        await host.Host.StopAsync();
    }
}
