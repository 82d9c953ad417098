namespace Corrosion.Client.Akka;

/// <summary>An event of <see cref="AkkaSubscription"/>: <see cref="RowEvent"/>, <see cref="EndOfQueryEvent"/>, <see cref="ChangeEvent"/> or <see cref="ResubscribedEvent"/>.</summary>
public abstract record AkkaSubscriptionEvent;
