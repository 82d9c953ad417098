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

    /// <summary>Empties all three lists.</summary>
    public void Clear()
    {
        Packets.Clear();
        Timers.Clear();
        Notifications.Clear();
    }

    /// <inheritdoc />
    public void Send(NodeAddress to, ReadOnlySpan<byte> packet) => Packets.Add(new OutgoingPacket(to, packet.ToArray()));

    /// <inheritdoc />
    public void SetTimer(SwimTimer timer, long delayMs) => Timers.Add(new TimerRequest(timer, delayMs));

    /// <inheritdoc />
    public void Notify(MemberNotification notification) => Notifications.Add(notification);
}
