namespace Corrosion.Agent.Actors;

/// <summary>
/// A message an actor sends itself to finish work it already holds (a group commit's flush): it never
/// waits for room in a <see cref="WaitingMailbox"/>, since the actor would be waiting on itself.
/// </summary>
public interface IPassesMailboxBound;
