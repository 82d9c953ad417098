namespace Corrosion.Client.Akka.Protocol;

/// <summary>The first message of a subscription stream; its sender is the stream actor (acknowledge to it, cancel through it).</summary>
/// <param name="QueryId">The subscription's id, for <see cref="Resume"/>.</param>
/// <param name="QueryHash">A hash of the statement.</param>
/// <param name="Columns">The result's column names.</param>
public sealed record Subscribed(string QueryId, string QueryHash, IReadOnlyList<string> Columns) : IClientMessage;
