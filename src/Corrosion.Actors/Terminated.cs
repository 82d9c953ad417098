namespace Corrosion.Actors;

/// <summary>A watched actor has stopped. <paramref name="Cause"/> is the failure that stopped it, or null for a normal stop.</summary>
/// <param name="Ref">The actor that stopped.</param>
/// <param name="Cause">The exception when a supervisor stopped it after a failure; null otherwise.</param>
public sealed record Terminated(IActorRef Ref, Exception? Cause) : Signal;
