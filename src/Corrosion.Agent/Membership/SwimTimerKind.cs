namespace Corrosion.Agent.Membership;

/// <summary>The timers the SWIM core asks its runtime to set.</summary>
public enum SwimTimerKind : byte
{
    /// <summary>Start of a probe period: finish the previous probe and probe the next member.</summary>
    ProbeTick = 1,

    /// <summary>The direct ping went unanswered for the probe timeout: ask others to probe.</summary>
    ProbeTimeout = 2,

    /// <summary>A suspicion may have expired.</summary>
    SuspicionTimeout = 3,

    /// <summary>A down or left member may be forgotten.</summary>
    ForgetMember = 4,

    /// <summary>Re-announce to the bootstrap list if nobody answered yet.</summary>
    JoinRetry = 5,

    /// <summary>Send pending updates to a few random members.</summary>
    GossipTick = 6,

    /// <summary>A ping sent on behalf of another member went unanswered: send it a nack.</summary>
    RelayTimeout = 7,

    /// <summary>Re-announce to a bootstrap address that is not alive, so healed partitions merge.</summary>
    Reconnect = 8,

    /// <summary>Ping a member held down (it refutes if alive), with a back-off that doubles up to the re-probe maximum.</summary>
    Reprobe = 9,
}
