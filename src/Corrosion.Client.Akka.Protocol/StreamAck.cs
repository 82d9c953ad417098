namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Acknowledges every batch of a stream (query chunks, subscription batches, table updates) up to and
/// including <paramref name="Seq"/>; send it to the batch's sender. A stream sends at most
/// <c>akka_api.window</c> batches ahead of the last acknowledgement; a receiver that acknowledges
/// nothing for <c>akka_api.ack_timeout</c> is cut off.
/// </summary>
/// <param name="Seq">The last batch number processed.</param>
public sealed record StreamAck(long Seq) : IClientMessage;
