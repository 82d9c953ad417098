using Corrosion.Agent.Membership;

namespace Corrosion.Agent.Tests.Membership;

public sealed class SwimOptionsTests
{
    [Fact]
    public void Lan_and_wan_profiles_follow_memberlist()
    {
        var lan = SwimOptions.ForProfile("lan");
        Assert.Equal((1_000L, 500L, 3, 4, 4, 1_400), (lan.ProbeIntervalMs, lan.ProbeTimeoutMs, lan.IndirectProbes, lan.SuspicionMult, lan.RetransmitMult, lan.MaxPacketSize));
        var wan = SwimOptions.ForProfile("WAN");
        Assert.Equal((5_000L, 3_000L, 3, 6), (wan.ProbeIntervalMs, wan.ProbeTimeoutMs, wan.IndirectProbes, wan.SuspicionMult));
        Assert.True(lan.LifeguardEnabled && wan.LifeguardEnabled);
    }

    [Fact]
    public void Unknown_profile_and_inconsistent_values_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SwimOptions.ForProfile("moon"));
        Assert.Throws<ArgumentException>(() => (SwimOptions.Lan with { ProbeTimeoutMs = 2_000 }).Validate());
        Assert.Throws<ArgumentException>(() => (SwimOptions.Lan with { MaxPacketSize = 100 }).Validate());
    }
}
