namespace Corrosion.Agent.Actors;

/// <summary>
/// A message whose sender must never wait: a full <see cref="WaitingMailbox"/> drops it at once (a
/// counted dead letter) instead of holding the sender until there is room. The storage actor's events
/// are such messages: their listeners notice a lost one by its sequence number and recover.
/// </summary>
public interface IDroppedWhenFull;
