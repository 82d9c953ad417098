namespace Corrosion.Client.Akka.Protocol;

/// <summary>A batch of a subscription's current rows.</summary>
/// <param name="QueryId">The subscription.</param>
/// <param name="Seq">The batch number (acknowledge with <see cref="StreamAck"/>).</param>
/// <param name="Rows">Rows with their stable row ids.</param>
public sealed record SubscriptionRows(string QueryId, long Seq, IReadOnlyList<ClientRow> Rows) : IClientMessage;
