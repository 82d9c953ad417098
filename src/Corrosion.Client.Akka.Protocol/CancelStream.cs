namespace Corrosion.Client.Akka.Protocol;

/// <summary>Stops a stream (a query, a subscription listener, a table watch); send it to the stream actor. The subscription itself lives on for others.</summary>
public sealed record CancelStream : IClientMessage;
