namespace Corrosion.Agent.Membership;

/// <summary>A datagram the core wants sent.</summary>
/// <param name="To">Destination.</param>
/// <param name="Data">Encoded packet.</param>
public sealed record OutgoingPacket(NodeAddress To, byte[] Data);
