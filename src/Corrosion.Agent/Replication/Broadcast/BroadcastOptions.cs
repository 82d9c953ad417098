using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>
/// Broadcast tuning (DESIGN.md §5), bound from the <c>gossip.broadcast</c> section (keys as in reference.conf). Every value can be
/// overridden with <c>with</c>; <see cref="Validate"/> checks them at start-up.
/// </summary>
public sealed record BroadcastOptions
{
    /// <summary>
    /// Default number of random live members a payload goes to at once, and per later round: 10, from the sweep of
    /// 800 simulated nodes in 40 regions at 1 % loss in bench/RESULTS.md (fanout 3 gave p99 1.2 s, 10 gave 0.36 s for
    /// the same number of messages per change, which the budget fixes).
    /// </summary>
    public const int DefaultFanout = 10;

    /// <summary>Default number of lowest-RTT members a new local payload also goes to at once (the nearest ring).</summary>
    public const int DefaultNearestRing = 2;

    /// <summary>Default of <see cref="DirectMax"/>: clusters of up to 16 members send a new changeset to everyone at once.</summary>
    public const int DefaultDirectMax = 15;

    /// <summary>
    /// Default of <see cref="DirectRelay"/>: 2. At N = 10 a change then costs 9 + 9 × 2 = 27 frames instead of 9 + 9 × 8 = 81;
    /// with 1 % frame loss a (change, member) pair is left to sync with probability ≈ 0.1 % (1 relay: ≈ 0.35 %).
    /// </summary>
    public const int DefaultDirectRelay = 2;

    /// <summary>Default retransmit multiplier: a payload is sent at most mult × ceil(log10(n + 1)) times.</summary>
    public const int DefaultRetransmitMult = 4;

    /// <summary>Default pause between later transmission rounds of one payload.</summary>
    public static readonly TimeSpan DefaultRetransmitInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Default cap of payloads waiting for later transmissions.</summary>
    public const int DefaultMaxPending = 4_096;

    /// <summary>Default number of payload ids remembered to drop duplicates.</summary>
    public const int DefaultSeenCapacity = 65_536;

    /// <summary>Random live members per transmission round.</summary>
    [ConfigurationKeyName("fanout")]
    public int Fanout { get; init; } = DefaultFanout;

    /// <summary>Lowest-RTT members (with a known RTT) a new local payload also goes to at once; 0 = off.</summary>
    [ConfigurationKeyName("nearest_ring")]
    public int NearestRing { get; init; } = DefaultNearestRing;

    /// <summary>
    /// While this node sees at most this many other live members, a new local payload goes to every one of them at
    /// once (its budget raised to cover them): in a small cluster that costs a few frames and saves the relay hops
    /// of the epidemic. Larger clusters keep fanout with retransmission. 0 = never.
    /// </summary>
    [ConfigurationKeyName("direct_max")]
    public int DirectMax { get; init; } = DefaultDirectMax;

    /// <summary>
    /// In direct mode (this node sees at most <see cref="DirectMax"/> other live members), a payload seen for the first time
    /// — straight from its origin, which sent it to every member itself, or from a relayer that beat the origin's own
    /// frame — is relayed to only this many random members (never back to the origin or the sender) and not retransmitted
    /// later: the relay only covers a lost frame. 0 = no relay (loss left to sync). Outside direct mode payloads are
    /// re-broadcast to fanout members as usual.
    /// </summary>
    [ConfigurationKeyName("direct_relay")]
    public int DirectRelay { get; init; } = DefaultDirectRelay;

    /// <summary>Retransmit multiplier of the per-payload send budget.</summary>
    [ConfigurationKeyName("retransmit_mult")]
    public int RetransmitMult { get; init; } = DefaultRetransmitMult;

    /// <summary>Pause between later transmission rounds of one payload.</summary>
    [ConfigurationKeyName("retransmit_interval")]
    public TimeSpan RetransmitInterval { get; init; } = DefaultRetransmitInterval;

    /// <summary>Cap of payloads waiting for later transmissions; the oldest is dropped beyond it.</summary>
    [ConfigurationKeyName("max_pending")]
    public int MaxPending { get; init; } = DefaultMaxPending;

    /// <summary>Payload ids remembered (least recently seen forgotten first); at least <see cref="MaxPending"/>.</summary>
    [ConfigurationKeyName("seen_capacity")]
    public int SeenCapacity { get; init; } = DefaultSeenCapacity;

    /// <summary>Checks that the values make sense; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    public BroadcastOptions Validate()
    {
        if (Fanout < 1 || NearestRing < 0 || RetransmitMult < 1)
        {
            throw new ArgumentException(
                $"gossip.broadcast: need fanout >= 1, nearest_ring >= 0, retransmit_mult >= 1; got {Fanout}, {NearestRing}, {RetransmitMult}");
        }

        if (DirectMax is < 0 or > 1024)
        {
            throw new ArgumentException($"gossip.broadcast.direct_max must be between 0 and 1024, got {DirectMax}");
        }

        if (DirectRelay is < 0 or > 1024)
        {
            throw new ArgumentException($"gossip.broadcast.direct_relay must be between 0 and 1024, got {DirectRelay}");
        }

        if (RetransmitInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"gossip.broadcast.retransmit_interval must be positive, got {RetransmitInterval}");
        }

        if (MaxPending < 1 || SeenCapacity < MaxPending)
        {
            throw new ArgumentException(
                $"gossip.broadcast: need 1 <= max_pending <= seen_capacity, got {MaxPending} and {SeenCapacity}");
        }

        return this;
    }
}
