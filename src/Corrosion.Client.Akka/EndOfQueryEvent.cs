namespace Corrosion.Client.Akka;

/// <summary>The end of the current rows; changes after <paramref name="ChangeId"/> follow.</summary>
/// <param name="Time">Seconds the query took.</param>
/// <param name="ChangeId">The last change reflected in the rows.</param>
public sealed record EndOfQueryEvent(double Time, long ChangeId) : AkkaSubscriptionEvent;
