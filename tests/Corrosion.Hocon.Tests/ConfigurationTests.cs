using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Tests;

public sealed record GossipOptions
{
    public TimeSpan Interval { get; init; }

    public ByteSize MaxPacket { get; init; }

    public List<string> Bootstrap { get; init; } = [];

    public bool Plaintext { get; init; }

    public TimeSpan? Timeout { get; init; }
}

public class ConfigurationTests
{
    private const string Reference = """
        gossip {
          interval = 500ms
          max-packet = 64KiB
          bootstrap = []
          plaintext = false
        }
        db.path = /var/lib/corrosion/state.db
        """;

    [Fact]
    public void Options_bind_to_typed_records_with_durations_sizes_and_lists()
    {
        HoconBinding.RegisterConverters();
        var config = new ConfigurationBuilder()
            .AddHoconString("""
                gossip {
                  Interval = 2s
                  MaxPacket = 1MiB
                  Bootstrap = ["10.0.0.1:8787", "10.0.0.2:8787"]
                  Plaintext = true
                  Timeout = "00:00:03"
                }
                """, "node.conf")
            .Build();
        var options = config.GetSection("gossip").Get<GossipOptions>()!;
        Assert.Equal(TimeSpan.FromSeconds(2), options.Interval);
        Assert.Equal(1_048_576, options.MaxPacket.Bytes);
        Assert.Equal(["10.0.0.1:8787", "10.0.0.2:8787"], options.Bootstrap);
        Assert.True(options.Plaintext);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeout);
    }

    [Fact]
    public void Keys_map_to_configuration_keys_with_colons()
    {
        var config = new ConfigurationBuilder().AddHoconString(Reference, "reference.conf").Build();
        Assert.Equal("/var/lib/corrosion/state.db", config["db:path"]);
        Assert.Equal("500ms", config["gossip:interval"]);
        Assert.Equal("64KiB", config["gossip:max-packet"]);
    }

    [Fact]
    public void A_user_file_overrides_reference_conf()
    {
        using var dir = new TempDirectory();
        var user = dir.Write("node.conf", "gossip.interval = 1s\ngossip.bootstrap = [a, b]");
        var config = new ConfigurationBuilder()
            .AddHoconString(Reference, "reference.conf")
            .AddHoconFile(user)
            .Build();
        Assert.Equal("1s", config["gossip:interval"]);
        Assert.Equal("64KiB", config["gossip:max-packet"]);
        Assert.Equal("b", config["gossip:bootstrap:1"]);
    }

    [Fact]
    public void Environment_variables_override_file_values()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var prefix = $"CORROSION_T{suffix}_";
        var name = prefix + "GOSSIP__INTERVAL";
        Environment.SetEnvironmentVariable(name, "750ms");
        try
        {
            var config = new ConfigurationBuilder()
                .AddHoconString(Reference, "reference.conf")
                .AddCorrosionEnvironmentVariables(prefix)
                .Build();
            Assert.Equal("750ms", config["gossip:interval"]);
            Assert.Equal("/var/lib/corrosion/state.db", config["db:path"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Default_prefix_maps_double_underscore_to_levels()
    {
        var name = "CORROSION_HT" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant() + "__DB__PATH";
        Environment.SetEnvironmentVariable(name, "/tmp/x.db");
        try
        {
            var config = new ConfigurationBuilder().AddCorrosionEnvironmentVariables().Build();
            var key = name["CORROSION_".Length..].Replace("__", ":", StringComparison.Ordinal);
            Assert.Equal("/tmp/x.db", config[key]);
            Assert.EndsWith(":db:path", config.AsEnumerable().Single(kv => kv.Value == "/tmp/x.db" && kv.Key.StartsWith("ht", StringComparison.Ordinal)).Key, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Missing_optional_file_gives_no_keys_and_missing_required_file_fails()
    {
        var optional = new ConfigurationBuilder().AddHoconFile("/nonexistent/node.conf", optional: true).Build();
        Assert.Empty(optional.AsEnumerable());
        var e = Assert.Throws<HoconException>(() => new ConfigurationBuilder().AddHoconFile("/nonexistent/node.conf").Build());
        Assert.Contains("/nonexistent/node.conf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_file_path_uses_the_builder_base_path()
    {
        using var dir = new TempDirectory();
        dir.Write("node.conf", "a = 1");
        var config = new ConfigurationBuilder().SetBasePath(dir.Path).AddHoconFile("node.conf").Build();
        Assert.Equal("1", config["a"]);
    }

    [Fact]
    public void Stream_source_reads_the_document()
    {
        using var stream = new MemoryStream("x { y = 2 }"u8.ToArray());
        var config = new ConfigurationBuilder().AddHoconStream(stream, "embedded.conf").Build();
        Assert.Equal("2", config["x:y"]);
    }

    [Fact]
    public void Parse_errors_surface_from_build_with_their_position()
    {
        var e = Assert.Throws<HoconException>(() => new ConfigurationBuilder().AddHoconString("a {", "reference.conf").Build());
        Assert.StartsWith("reference.conf:1:4:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hocon_timespan_converter_accepts_durations_and_the_dotnet_format()
    {
        var converter = new HoconTimeSpanConverter();
        Assert.Equal(TimeSpan.FromMilliseconds(500), converter.ConvertFromInvariantString("500ms"));
        Assert.Equal(TimeSpan.FromMinutes(1), converter.ConvertFromInvariantString("00:01:00"));
        Assert.Throws<FormatException>(() => converter.ConvertFromInvariantString("soon"));
    }
}
