using Corrosion.Agent.Membership;
using Corrosion.Simulation.Membership;

namespace Corrosion.Simulation.Tests;

/// <summary>
/// A killed process on a live host refuses datagrams (ICMP port unreachable). Issue 14's SIGKILL detection: the first
/// datagram a survivor sends to the killed member fails its probe at once, so suspicion starts a round trip after it
/// (not a whole probe period later), and "down" follows the shortest suspicion timeout after that.
/// </summary>
public sealed class SwimKillDetectionTests
{
    private const int Size = 10;

    /// <summary>Round trip of the simulator's LAN latency, tail included (2 × 20 ms), with room to spare.</summary>
    private const long RoundTrip = 50;

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(34)]
    public void A_killed_member_is_suspected_a_round_trip_after_the_first_datagram_to_it_and_down_a_suspicion_timeout_later(int seed)
    {
        var (firstSent, suspect, down) = Kill(seed, refuse: true);

        Assert.True(suspect - firstSent <= RoundTrip, $"suspect {suspect - firstSent} ms after the first datagram to the killed member");
        var suspicionMin = (long)(SwimOptions.DefaultSuspicionMult * Math.Log10(Size) * SwimOptions.DefaultProbeIntervalMs);
        Assert.InRange(down - suspect, suspicionMin, suspicionMin + RoundTrip);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void A_silent_crash_is_suspected_only_when_the_probe_period_ends(int seed)
    {
        var (firstSent, suspect, _) = Kill(seed, refuse: false);

        Assert.True(suspect - firstSent >= SwimOptions.DefaultProbeIntervalMs - RoundTrip, $"suspect {suspect - firstSent} ms after the first datagram to the crashed member");
    }

    /// <summary>Kills one member of a settled cluster; times of the first datagram to it, the first suspicion and the first down.</summary>
    private static (long FirstSent, long Suspect, long Down) Kill(int seed, bool refuse)
    {
        using var cluster = new SwimCluster(seed, Size, SwimOptions.Lan) { CrashedNodesRefuse = refuse };
        cluster.StartConverged();
        cluster.RunFor(20_000 + new Random(seed).Next(1_000));
        const int victim = 3;
        long? firstSent = null, suspect = null, down = null;
        cluster.OnSend = (_, to, at) =>
        {
            if (to == victim && !cluster.IsUp(victim))
            {
                firstSent ??= at;
            }
        };
        cluster.OnNotification = n =>
        {
            if (n.Subject == victim && n.Kind == MemberNotificationKind.MemberSuspect)
            {
                suspect ??= n.TimeMs;
            }
            else if (n.Subject == victim && n.Kind == MemberNotificationKind.MemberDown)
            {
                down ??= n.TimeMs;
            }
        };

        cluster.Crash(victim);
        Assert.True(cluster.RunUntil(() => down is not null, 60_000), "the killed member was never declared down");
        return (firstSent!.Value, suspect!.Value, down!.Value);
    }
}
