using System.Net;

namespace Corrosion.Agent.Transport;

/// <summary>A frame that arrived on a broadcast link.</summary>
/// <param name="Remote">The sender (its gossip address when the link announced it, else the socket's address).</param>
/// <param name="Frame">The whole frame, length prefix included; owned by the receiver.</param>
public sealed record ReceivedFrame(EndPoint Remote, ReadOnlyMemory<byte> Frame);
