using Corrosion.Chaos.Network;

namespace Corrosion.Chaos.Tests;

public sealed class NodeFirewallTests
{
    [Fact]
    public void A_clean_link_has_only_the_empty_partition_rules()
    {
        var script = NodeFirewall.Render(LinkFaults.None);

        Assert.DoesNotContain("numgen", script, StringComparison.Ordinal);
        Assert.DoesNotContain("elements", script, StringComparison.Ordinal);
        Assert.Contains("delete table ip corrosion_chaos", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Loss_drops_arriving_packets_of_every_protocol_and_duplication_copies_leaving_ones()
    {
        var script = NodeFirewall.Render(new LinkFaults([], 10, 5));

        Assert.Contains("iifname \"eth0\" numgen random mod 100 < 10 drop", script, StringComparison.Ordinal);
        Assert.DoesNotContain("l4proto", script, StringComparison.Ordinal);
        Assert.Contains("oifname \"eth0\" numgen random mod 100 < 5 dup to ip daddr device \"eth0\"", script, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partition_blocks_the_peers_both_ways_before_duplication()
    {
        var script = NodeFirewall.Render(new LinkFaults(["10.213.77.12", "10.213.77.13"], 10, 5));

        Assert.Contains("elements = { 10.213.77.12, 10.213.77.13 }", script, StringComparison.Ordinal);
        Assert.Contains("ip saddr @blocked drop", script, StringComparison.Ordinal);
        Assert.True(script.IndexOf("ip daddr @blocked drop", StringComparison.Ordinal) < script.IndexOf("dup to", StringComparison.Ordinal));
    }

    [Fact]
    public void A_percentage_outside_0_to_100_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeFirewall.Render(new LinkFaults([], 101, 0)));
    }
}
