namespace Corrosion.Client.Akka.Protocol;

/// <summary>A cluster member as the node sees it.</summary>
/// <param name="Id">Its actor id.</param>
/// <param name="Addr">Its gossip address.</param>
/// <param name="State">alive, suspect or down.</param>
/// <param name="Incarnation">Its SWIM incarnation.</param>
/// <param name="RttMs">The last probe's round trip, or null.</param>
/// <param name="Self">True for the node answering.</param>
public sealed record ClientMember(string Id, string Addr, string State, long Incarnation, double? RttMs, bool Self);
