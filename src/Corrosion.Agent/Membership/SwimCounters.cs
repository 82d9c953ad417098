namespace Corrosion.Agent.Membership;

/// <summary>Counters of what the core dropped or did, for metrics and tests.</summary>
public sealed class SwimCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<PacketRejectReason>().Length];

    /// <summary>Packets dropped for <paramref name="reason"/>.</summary>
    public long Rejected(PacketRejectReason reason) => _rejected[(int)reason];

    /// <summary>All packets dropped.</summary>
    public long TotalRejected => _rejected.Sum();

    /// <summary>Packets accepted.</summary>
    public long PacketsReceived { get; internal set; }

    /// <summary>Packets produced.</summary>
    public long PacketsSent { get; internal set; }

    /// <summary>Updates ignored because they were older than what this node knows.</summary>
    public long StaleUpdates { get; internal set; }

    /// <summary>Suspicions of this node that it refuted.</summary>
    public long Refutations { get; internal set; }

    /// <summary>Probes (direct pings) sent.</summary>
    public long Probes { get; internal set; }

    /// <summary>Members this node came to suspect (alive to suspect).</summary>
    public long Suspicions { get; internal set; }

    /// <summary>Probes that ended without an ack.</summary>
    public long FailedProbes { get; internal set; }

    /// <summary>New members not admitted because membership was full (<see cref="SwimOptions.MaxMembers"/>).</summary>
    public long MembersRefused { get; internal set; }

    /// <summary>Pings sent to members held down (re-probes that merge healed partitions).</summary>
    public long Reprobes { get; internal set; }

    /// <summary>Datagrams the destination's host refused (ICMP port unreachable), reported by the shell.</summary>
    public long Refusals { get; internal set; }

    internal void Reject(PacketRejectReason reason) => _rejected[(int)reason]++;
}
