namespace Corrosion.Agent.Membership;

/// <summary>What this node believes about a member.</summary>
public enum MemberState : byte
{
    /// <summary>Answering probes, or vouched for by a higher incarnation.</summary>
    Alive = 1,

    /// <summary>Missed a probe; declared down unless it refutes before the suspicion timeout.</summary>
    Suspect = 2,

    /// <summary>Confirmed failed.</summary>
    Down = 3,

    /// <summary>Left the cluster gracefully.</summary>
    Left = 4,
}
