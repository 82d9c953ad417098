namespace Corrosion.Client;

/// <summary>The initial result is complete; changes follow.</summary>
/// <param name="Time">Seconds the node spent on the initial result.</param>
/// <param name="ChangeId">The change id the initial result reflects; the next change has a greater id.</param>
public sealed record SubscriptionEndOfQueryEvent(double Time, long ChangeId) : SubscriptionEvent;
