namespace Corrosion.Actors;

/// <summary>A lifecycle notification delivered to <see cref="Actor{T}.OnSignal"/> rather than the mailbox.</summary>
public abstract record Signal;
