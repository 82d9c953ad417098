using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;

namespace Corrosion.Agent.Tests.Membership;

public sealed class MembershipOptionsTests
{
    [Fact]
    public void The_embedded_defaults_are_the_lan_profile_with_no_bootstrap()
    {
        var options = NodeConfiguration.Load(null).Membership;

        Assert.Equal("lan", options.Profile);
        Assert.Equal(SwimOptions.Lan, options.Swim);
        Assert.Empty(options.Bootstrap);
    }

    [Fact]
    public void The_wan_profile_applies_first_and_keys_override_it()
    {
        var options = NodeConfiguration.Load(null, [
            new("membership:profile", "wan"),
            new("membership:probe_timeout", "2s"),
            new("membership:lifeguard:enabled", "false"),
            new("membership:bootstrap:0", "node-a:8787"),
            new("membership:bootstrap:1", "[::1]:8788"),
        ]).Membership;

        Assert.Equal(SwimOptions.Wan.ProbeIntervalMs, options.Swim.ProbeIntervalMs);
        Assert.Equal(SwimOptions.Wan.GossipFanout, options.Swim.GossipFanout);
        Assert.Equal(2_000, options.Swim.ProbeTimeoutMs);
        Assert.False(options.Swim.LifeguardEnabled);
        Assert.Equal(["node-a:8787", "[::1]:8788"], options.Bootstrap);
    }

    [Fact]
    public void The_re_probe_back_off_of_down_members_is_bound_from_its_keys()
    {
        var options = NodeConfiguration.Load(null, [
            new("membership:reprobe_max_interval", "2s"),
            new("membership:reprobe_min_interval", "50ms"),
        ]).Membership;

        Assert.Equal((2_000, 50), (options.Swim.ReprobeMaxIntervalMs, options.Swim.ReprobeMinIntervalMs));
        Assert.Equal((1_000, 200), (SwimOptions.Lan.ReprobeMaxIntervalMs, SwimOptions.Lan.ReprobeMinIntervalMs));
    }

    [Fact]
    public void Max_members_is_bound_from_its_key_with_the_reference_default()
    {
        Assert.Equal(SwimOptions.DefaultMaxMembers, NodeConfiguration.Load(null).Membership.Swim.MaxMembers);
        Assert.Equal(50, NodeConfiguration.Load(null, [new("membership:max_members", "50")]).Membership.Swim.MaxMembers);
    }

    [Theory]
    [InlineData("membership:profile", "metro", "membership.profile")]
    [InlineData("membership:probe_interval", "soon", "membership.probe_interval")]
    [InlineData("membership:probe_timeout", "5s", "membership.probe_timeout")]
    [InlineData("membership:indirect_probes", "-1", "membership.indirect_probes")]
    [InlineData("membership:bootstrap:0", "no-port", "membership.bootstrap")]
    [InlineData("membership:lifeguard:enabled", "maybe", "membership.lifeguard.enabled")]
    [InlineData("membership:reprobe_min_interval", "0s", "membership.reprobe_min_interval")]
    [InlineData("membership:reprobe_min_interval", "5s", "membership.reprobe_min_interval")]
    [InlineData("membership:advertise_addr", "host-name:1", "membership.advertise_addr")]
    [InlineData("membership:max_members", "0", "membership.max_members")]
    [InlineData("membership:max_members", "lots", "membership.max_members")]
    [InlineData("gossip:addr", "0.0.0.0:8787", "membership.advertise_addr")]
    public void An_invalid_value_is_refused_naming_the_key(string key, string value, string named)
    {
        var error = Assert.Throws<ConfigurationException>(() => NodeConfiguration.Load(null, [new(key, value)]));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_three_node_example_binds_to_distinct_addresses_and_one_seed(int node)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Corrosion.Actors.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var options = NodeConfiguration.Load(Path.Combine(root, "hocon", "examples", $"cluster-node{node}.conf"));

        Assert.Equal($"127.0.0.1:870{node}", options.Gossip.BindEndPoint.ToString());
        Assert.Equal($"127.0.0.1:808{node}", options.Api.Addr);
        Assert.Equal(1, options.ClusterId);
        Assert.Equal(["127.0.0.1:8701"], options.Membership.Bootstrap);
    }
}
