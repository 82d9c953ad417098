namespace Corrosion.Client.Akka.Protocol;

/// <summary>The end of a subscription's current rows.</summary>
/// <param name="QueryId">The subscription.</param>
/// <param name="Seq">The batch number (acknowledge with <see cref="StreamAck"/>).</param>
/// <param name="Time">Seconds the query took.</param>
/// <param name="ChangeId">The last change id reflected in the rows; changes after it follow.</param>
public sealed record SubscriptionEndOfQuery(string QueryId, long Seq, double Time, long ChangeId) : IClientMessage;
