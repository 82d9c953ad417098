namespace Corrosion.Agent.Membership;

/// <summary>
/// SWIM and Lifeguard tuning. Defaults are the LAN profile (memberlist's <c>DefaultLANConfig</c>);
/// <see cref="Wan"/> is memberlist's <c>DefaultWANConfig</c>. Every value can be overridden with <c>with</c>.
/// </summary>
public sealed record SwimOptions
{
    /// <summary>Default probe period on a LAN.</summary>
    public const long DefaultProbeIntervalMs = 1_000;

    /// <summary>Default wait for a direct ack on a LAN.</summary>
    public const long DefaultProbeTimeoutMs = 500;

    /// <summary>Default number of members asked to probe indirectly.</summary>
    public const int DefaultIndirectProbes = 3;

    /// <summary>Default suspicion multiplier (suspicion timeout = mult × log10(n) × probe interval).</summary>
    public const int DefaultSuspicionMult = 4;

    /// <summary>Default ratio of the longest to the shortest suspicion timeout (Lifeguard).</summary>
    public const int DefaultSuspicionMaxTimeoutMult = 6;

    /// <summary>Default retransmit multiplier (an update rides on mult × ceil(log10(n + 1)) packets).</summary>
    public const int DefaultRetransmitMult = 4;

    /// <summary>Default bound on a datagram's size, under common MTUs.</summary>
    public const int DefaultMaxPacketSize = 1_400;

    /// <summary>Default cap of the local-health multiplier.</summary>
    public const int DefaultMaxLocalHealth = 8;

    /// <summary>Default period of gossip to random members while updates are pending.</summary>
    public const long DefaultGossipIntervalMs = 200;

    /// <summary>Default number of members each gossip round goes to.</summary>
    public const int DefaultGossipFanout = 3;

    /// <summary>Default time a down or left member is remembered, to reject stale rumours about it.</summary>
    public const long DefaultDownRetentionMs = 60_000;

    /// <summary>Default period of re-announcing to a bootstrap address that is neither alive nor remembered down.</summary>
    public const long DefaultReconnectIntervalMs = 10_000;

    /// <summary>Default first pause before re-probing a member just declared down (it then doubles).</summary>
    public const long DefaultReprobeMinIntervalMs = 200;

    /// <summary>
    /// Default longest pause between re-probes of a member held down: short, so that a healed partition
    /// merges within about a second (a down member costs one ping a second until it is forgotten).
    /// </summary>
    public const long DefaultReprobeMaxIntervalMs = 1_000;

    /// <summary>Default bound on remembered members (alive, suspect, down and left; this node not counted).</summary>
    public const int DefaultMaxMembers = 4_096;

    /// <summary>Default cap of the back-off between join announcements.</summary>
    public const long DefaultJoinRetryMaxMs = 30_000;

    /// <summary>The LAN profile (the defaults).</summary>
    public static SwimOptions Lan { get; } = new();

    /// <summary>The WAN profile: slower probes, longer timeouts, more suspicion.</summary>
    public static SwimOptions Wan { get; } = new()
    {
        ProbeIntervalMs = 5_000,
        ProbeTimeoutMs = 3_000,
        IndirectProbes = 3,
        SuspicionMult = 6,
        GossipIntervalMs = 500,
        GossipFanout = 4,
    };

    /// <summary>Picks a profile by name (<c>lan</c> or <c>wan</c>).</summary>
    public static SwimOptions ForProfile(string profile) => profile?.Trim().ToUpperInvariant() switch
    {
        "LAN" => Lan,
        "WAN" => Wan,
        _ => throw new ArgumentException($"unknown membership profile '{profile}' (expected lan or wan)", nameof(profile)),
    };

    /// <summary>Probe period (stretched by 1 + local health when Lifeguard is on).</summary>
    public long ProbeIntervalMs { get; init; } = DefaultProbeIntervalMs;

    /// <summary>Wait for a direct ack before asking for indirect probes (also stretched).</summary>
    public long ProbeTimeoutMs { get; init; } = DefaultProbeTimeoutMs;

    /// <summary>Members asked to probe indirectly (<c>k</c>).</summary>
    public int IndirectProbes { get; init; } = DefaultIndirectProbes;

    /// <summary>Suspicion multiplier.</summary>
    public int SuspicionMult { get; init; } = DefaultSuspicionMult;

    /// <summary>Longest suspicion timeout as a multiple of the shortest (Lifeguard).</summary>
    public int SuspicionMaxTimeoutMult { get; init; } = DefaultSuspicionMaxTimeoutMult;

    /// <summary>Retransmit multiplier for piggybacked updates.</summary>
    public int RetransmitMult { get; init; } = DefaultRetransmitMult;

    /// <summary>Largest datagram the core produces.</summary>
    public int MaxPacketSize { get; init; } = DefaultMaxPacketSize;

    /// <summary>Lifeguard (local health, growing/shrinking suspicion timeouts, nacks); off is plain SWIM.</summary>
    public bool LifeguardEnabled { get; init; } = true;

    /// <summary>Cap of the local-health multiplier.</summary>
    public int MaxLocalHealth { get; init; } = DefaultMaxLocalHealth;

    /// <summary>
    /// Whether a datagram refused by the member's host (ICMP port unreachable: nothing listens at its address,
    /// the process is gone) counts as a failed probe at once, instead of waiting out the probe period. The
    /// member still goes through suspicion (and can refute), so this only moves the start of it forward.
    /// </summary>
    public bool RefusedIsFailedProbe { get; init; } = true;

    /// <summary>Gossip period while updates are pending; 0 disables gossip (piggyback on probes only).</summary>
    public long GossipIntervalMs { get; init; } = DefaultGossipIntervalMs;

    /// <summary>Members per gossip round.</summary>
    public int GossipFanout { get; init; } = DefaultGossipFanout;

    /// <summary>How long down and left members are remembered.</summary>
    public long DownRetentionMs { get; init; } = DefaultDownRetentionMs;

    /// <summary>
    /// Period of re-announcing to one bootstrap address that is neither alive nor remembered down (members
    /// held down are re-probed on their own back-off instead); 0 disables.
    /// </summary>
    public long ReconnectIntervalMs { get; init; } = DefaultReconnectIntervalMs;

    /// <summary>First pause before re-probing a member just declared down; each re-probe doubles it up to <see cref="ReprobeMaxIntervalMs"/>.</summary>
    public long ReprobeMinIntervalMs { get; init; } = DefaultReprobeMinIntervalMs;

    /// <summary>
    /// Longest pause between re-probes of each remembered down member (a ping carrying the "down" rumour,
    /// which a live member refutes, so healed partitions merge); 0 disables re-probing.
    /// </summary>
    public long ReprobeMaxIntervalMs { get; init; } = DefaultReprobeMaxIntervalMs;

    /// <summary>Cap of the back-off between join announcements.</summary>
    public long JoinRetryMaxMs { get; init; } = DefaultJoinRetryMaxMs;

    /// <summary>Most members remembered; a newcomer beyond it replaces the oldest down or left member, or is refused and counted.</summary>
    public int MaxMembers { get; init; } = DefaultMaxMembers;

    /// <summary>Checks that the values make sense; throws otherwise.</summary>
    public SwimOptions Validate()
    {
        if (ProbeIntervalMs <= 0 || ProbeTimeoutMs <= 0 || ProbeTimeoutMs >= ProbeIntervalMs)
        {
            throw new ArgumentException("need 0 < probe_timeout < probe_interval");
        }

        if (IndirectProbes < 0 || SuspicionMult < 1 || SuspicionMaxTimeoutMult < 1 || RetransmitMult < 1 || MaxLocalHealth < 0)
        {
            throw new ArgumentException("indirect_probes >= 0, suspicion_mult, suspicion_max_timeout_mult, retransmit_mult >= 1");
        }

        if (ReconnectIntervalMs < 0 || ReprobeMaxIntervalMs < 0 || ReprobeMinIntervalMs <= 0 || (ReprobeMaxIntervalMs > 0 && ReprobeMinIntervalMs > ReprobeMaxIntervalMs))
        {
            throw new ArgumentException("need reconnect_interval >= 0 and 0 < reprobe_min_interval <= reprobe_max_interval (or reprobe_max_interval = 0)");
        }

        if (MaxMembers < 1)
        {
            throw new ArgumentException("max_members must be at least 1");
        }

        if (MaxPacketSize < SwimCodec.MinimumPacketSize)
        {
            throw new ArgumentException($"max_packet_size must be at least {SwimCodec.MinimumPacketSize}");
        }

        return this;
    }
}
