namespace Corrosion.Client.Akka.Protocol;

/// <summary>The end of a query's rows.</summary>
/// <param name="Time">Seconds the query took.</param>
public sealed record QueryEnd(double Time) : IClientMessage;
