namespace Corrosion.Actors;

/// <summary>Size and overflow policy of one actor's mailbox.</summary>
/// <param name="Capacity">Maximum number of queued messages (at least 1).</param>
/// <param name="FullMode">What happens to a message sent while the mailbox is full.</param>
public sealed record MailboxOptions(int Capacity, MailboxFullMode FullMode)
{
    /// <summary>Default capacity of a mailbox.</summary>
    public const int DefaultCapacity = 1024;

    /// <summary>1024 messages, senders wait when full.</summary>
    public static MailboxOptions Default { get; } = new(DefaultCapacity, MailboxFullMode.Wait);
}
