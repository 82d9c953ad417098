using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Tests;

public class KnownKeysTests
{
    private static readonly KnownKeys Keys = KnownKeys.FromReference(
        Hocon.Parse("""
            db { path = x, read_pool_size = 4, schema_paths = [] }
            membership { bootstrap = [], profile = lan, probe_interval = null }
            gossip { addr = "127.0.0.1:1", broadcast { fanout = 3 } }
            """),
        ["akka", "api.tokens"]);

    private static IConfigurationProvider Layer(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, v.Value))).Build().Providers.Single();

    [Theory]
    [InlineData("db.path")]
    [InlineData("DB:Path")]
    [InlineData("membership.bootstrap.3")]
    [InlineData("membership.probe_interval")]
    [InlineData("gossip.broadcast")]
    [InlineData("akka.actor.provider")]
    [InlineData("api.tokens.ci.scope")]
    public void Keys_of_the_reference_their_array_elements_and_open_sections_are_known(string key) =>
        Assert.True(Keys.IsKnown(key));

    [Theory]
    [InlineData("db.pth")]
    [InlineData("gossip.bootstrap")]
    [InlineData("gossip.addr.port")]
    [InlineData("api.other")]
    [InlineData("membership.bootstrap.first")]
    public void Other_keys_are_not(string key) => Assert.False(Keys.IsKnown(key));

    [Theory]
    [InlineData("gossip.bootstrap", "membership.bootstrap")]
    [InlineData("db.pth", "db.path")]
    [InlineData("db.ReadPoolSize", "db.read_pool_size")]
    [InlineData("membrship", "membership")]
    [InlineData("gossip.fanout", "gossip.broadcast.fanout")]
    public void The_closest_key_is_the_same_key_elsewhere_or_the_nearest_spelling(string key, string closest) =>
        Assert.Equal(closest, Keys.ClosestTo(key));

    [Fact]
    public void Nothing_is_suggested_when_nothing_is_close() => Assert.Null(Keys.ClosestTo("completely.different"));

    [Fact]
    public void An_unknown_key_is_reported_once_at_its_first_unknown_level()
    {
        var unknown = Keys.FindUnknown(Layer(("gossip:bootstrap:0", "a:1"), ("gossip:bootstrap:1", "b:1"), ("db:path", "y"), ("akka:loglevel", "DEBUG")));

        var single = Assert.Single(unknown);
        Assert.Equal(("gossip.bootstrap", "membership.bootstrap"), (single.Key, single.Suggestion));
        Assert.Equal("unknown configuration key gossip.bootstrap; did you mean membership.bootstrap?", single.ToString());
    }

    [Fact]
    public void A_shared_root_leaves_foreign_top_level_sections_alone_but_checks_ours()
    {
        var unknown = Keys.FindUnknown(Layer(("Logging:LogLevel:Default", "Debug"), ("AllowedHosts", "*"), ("db:pth", "x")), sharedRoot: true);

        Assert.Equal(["db.pth"], unknown.Select(u => u.Key));
    }

    [Fact]
    public void Hocon_file_keys_are_reported_with_file_line_and_column()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("node.conf", "db.path = y\n\ngossip {\n  bootstrap = []\n}\n");
        var root = new ConfigurationBuilder().AddHoconFile(file).Build();

        var unknown = Keys.FindUnknown(root.Providers.Single());

        Assert.Equal($"{file}:4:15: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap?", Assert.Single(unknown).ToString());
    }

    [Fact]
    public void Environment_variables_are_named_and_the_right_variable_suggested()
    {
        var prefix = $"CORROSION_K{Guid.NewGuid().ToString("N")[..8].ToUpperInvariant()}_";
        string[] names = [prefix + "GOSSIP__BOOTSTRAP", prefix + "DB_PATH", prefix + "WORK", prefix + "DB__READ_POOL_SIZE"];
        foreach (var name in names)
        {
            Environment.SetEnvironmentVariable(name, "1");
        }

        try
        {
            var root = new ConfigurationBuilder().AddCorrosionEnvironmentVariables(prefix).Build();

            var unknown = Keys.FindUnknown(root.Providers.Single()).Select(u => u.ToString()).Order(StringComparer.Ordinal).ToList();

            Assert.Equal(
                [
                    $"environment variable {prefix}DB_PATH: unknown configuration key db_path; did you mean db.path ({prefix}DB__PATH)?",
                    $"environment variable {prefix}GOSSIP__BOOTSTRAP: unknown configuration key gossip.bootstrap; did you mean membership.bootstrap ({prefix}MEMBERSHIP__BOOTSTRAP)?",
                ],
                unknown);
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }
}

public class JsonKeyLocatorTests
{
    [Theory]
    [InlineData("Corrosion:db:path", 4, 13)]
    [InlineData("corrosion:gossip:bootstrap", 6, 7)]
    [InlineData("Corrosion:gossip:bootstrap:1", 6, 28)]
    [InlineData("Corrosion:list:1:name", 9, 17)]
    [InlineData("Logging", 2, 3)]
    public void Finds_the_line_and_column_of_a_key_in_a_json_file(string key, int line, int column)
    {
        using var dir = new TempDirectory();
        var file = dir.Write("appsettings.json", """
            {
              "Logging": { "LogLevel": { "Default": "Information" } },
              "Corrosion": {
                "db": { "path": "x.db" },
                "gossip": {
                  "bootstrap": ["a:1", "b:1"], // Corrosion's spelling
                },
                "list": [ { "name": "a" },
                          { "name": "b" } ]
              }
            }
            """);

        Assert.Equal((line, column), Configuration.JsonKeyLocator.Locate(file, key));
    }
}
