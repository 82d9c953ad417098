namespace Corrosion.Agent.Membership;

/// <summary>
/// An <see cref="ISwimRuntime"/> that collects the core's outputs in lists for the caller to drain
/// (tests, and shells that prefer to act after the call returns).
/// </summary>
public sealed class SwimOutputs : ISwimRuntime
{
    /// <summary>Datagrams to send, in order.</summary>
    public List<OutgoingPacket> Packets { get; } = [];

    /// <summary>Timers to set, in order.</summary>
    public List<TimerRequest> Timers { get; } = [];

    /// <summary>Membership changes, in order.</summary>
    public List<MemberNotification> Notifications { get; } = [];

    /// <summary>Timers the core said no longer matter, in order.</summary>
    public List<SwimTimer> Cancelled { get; } = [];

    /// <summary>Empties all the lists.</summary>
    public void Clear()
    {
        Packets.Clear();
        Timers.Clear();
        Notifications.Clear();
        Cancelled.Clear();
    }

    /// <inheritdoc />
    public void Send(NodeAddress to, ReadOnlySpan<byte> packet) => Packets.Add(new OutgoingPacket(to, packet.ToArray()));

    /// <inheritdoc />
    public void SetTimer(SwimTimer timer, long delayMs) => Timers.Add(new TimerRequest(timer, delayMs));

    /// <inheritdoc />
    public void Notify(MemberNotification notification) => Notifications.Add(notification);

    /// <inheritdoc />
    public void CancelTimer(SwimTimer timer) => Cancelled.Add(timer);
}
