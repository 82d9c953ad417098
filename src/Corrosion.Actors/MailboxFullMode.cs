namespace Corrosion.Actors;

/// <summary>What a bounded mailbox does with a new message when it is full.</summary>
public enum MailboxFullMode
{
    /// <summary>The sender waits for room: <c>Tell</c> blocks, <c>TellAsync</c> awaits, <c>TryTell</c> returns false.</summary>
    Wait,

    /// <summary>The oldest queued message is dropped (and counted) to make room for the new one.</summary>
    DropOldest,

    /// <summary>The new (incoming) message is dropped (and counted); the queue is untouched.</summary>
    DropNewest,
}
