namespace Corrosion.Agent.Membership;

/// <summary>The core's mutable record of one member.</summary>
internal sealed class MemberEntry(MemberIdentity identity, MemberState state, long sinceMs)
{
    public MemberIdentity Identity { get; set; } = identity;

    public MemberState State { get; set; } = state;

    public long SinceMs { get; set; } = sinceMs;

    public long? LastRttMs { get; set; }

    /// <summary>Generation of the member's pending timers (suspicion, forget); stale timers don't match.</summary>
    public long TimerToken { get; set; }

    /// <summary>Generation of the member's re-probe timer while it is down; stale timers don't match.</summary>
    public long ReprobeToken { get; set; }

    /// <summary>The pause before the next re-probe of a down member (doubles up to the re-probe maximum).</summary>
    public long ReprobeDelayMs { get; set; }

    /// <summary>Open suspicion, if <see cref="State"/> is suspect.</summary>
    public Suspicion? Suspicion { get; set; }

    public bool IsActive => State is MemberState.Alive or MemberState.Suspect;

    public MemberInfo ToInfo() => new(Identity, State, LastRttMs);
}
