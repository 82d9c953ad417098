namespace Corrosion.Actors.Internal;

/// <summary>A mailbox entry; timer ticks carry their key and generation so stale ticks can be discarded.</summary>
internal readonly record struct Envelope<T>(T Message, object? TimerKey = null, long TimerGeneration = 0);
