namespace Corrosion.Agent.Membership;

/// <summary>Why an incoming datagram was dropped (counted in <see cref="SwimCounters"/>).</summary>
public enum PacketRejectReason
{
    /// <summary>Not rejected.</summary>
    None = 0,

    /// <summary>Ended before a complete field.</summary>
    Truncated,

    /// <summary>Format version this node does not speak.</summary>
    UnsupportedVersion,

    /// <summary>Unknown message type.</summary>
    UnknownMessageType,

    /// <summary>Address family other than IPv4/IPv6.</summary>
    BadAddress,

    /// <summary>Unknown member state in an update.</summary>
    BadMemberState,

    /// <summary>Bytes left after the last update.</summary>
    TrailingBytes,

    /// <summary>Sent by a member of another cluster.</summary>
    ForeignCluster,

    /// <summary>Claims to come from this node's own address.</summary>
    FromSelf,

    /// <summary>Arrived after this node left.</summary>
    AfterLeave,
}
