namespace Corrosion.Client;

/// <summary>Options of <see cref="CorrosionClient.SubscribeAsync"/> and <see cref="CorrosionClient.ResumeAsync"/>.</summary>
public sealed record SubscribeOptions
{
    /// <summary>Defaults: initial rows included, the client's <see cref="CorrosionClient.ReadRetry"/>.</summary>
    public static SubscribeOptions Default { get; } = new();

    /// <summary>Omit the initial rows (<c>?skip_rows=true</c>): the stream starts with the end of query.</summary>
    public bool SkipRows { get; init; }

    /// <summary>
    /// How opening and re-attaching are retried; null: the client's <see cref="CorrosionClient.ReadRetry"/>.
    /// The attempt count starts again after a re-attached stream delivers an event.
    /// </summary>
    public RetryPolicy? Retry { get; init; }
}
