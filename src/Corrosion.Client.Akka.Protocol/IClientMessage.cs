namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Marker of every message of the Akka client protocol. Only messages implementing it are bound to
/// <see cref="ClientProtocolSerializer"/>; with <see cref="ClientProtocolConfig.Serialization"/> nothing else
/// crosses the network (strict serialization), and a message of any other type is refused on arrival.
/// </summary>
public interface IClientMessage;
