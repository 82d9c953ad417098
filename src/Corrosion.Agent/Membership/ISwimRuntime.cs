namespace Corrosion.Agent.Membership;

/// <summary>
/// What the SWIM core needs from its surroundings (in foca's shape): the shell sends datagrams, sets
/// timers and forwards notifications. Calls happen synchronously inside the core's methods.
/// </summary>
public interface ISwimRuntime
{
    /// <summary>Sends one datagram. The span is only valid during the call.</summary>
    void Send(NodeAddress to, ReadOnlySpan<byte> packet);

    /// <summary>Asks for <paramref name="timer"/> to be handed back after <paramref name="delayMs"/>.</summary>
    void SetTimer(SwimTimer timer, long delayMs);

    /// <summary>Reports a membership change.</summary>
    void Notify(MemberNotification notification);

    /// <summary>
    /// Says that <paramref name="timer"/>, set earlier, no longer matters (a probe or relay was answered in
    /// time). Only a hint: the core ignores the timer if it fires anyway, so a runtime may keep it; the
    /// node's shell drops it so an idle node does not wake for it.
    /// </summary>
    void CancelTimer(SwimTimer timer)
    {
    }
}
