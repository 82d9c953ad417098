namespace Corrosion.Client.Akka.Protocol;

/// <summary>A batch of changes, in change-id order.</summary>
/// <param name="QueryId">The subscription.</param>
/// <param name="Seq">The batch number (acknowledge with <see cref="StreamAck"/>).</param>
/// <param name="Changes">At least one change.</param>
public sealed record SubscriptionChanges(string QueryId, long Seq, IReadOnlyList<ClientChange> Changes) : IClientMessage;
