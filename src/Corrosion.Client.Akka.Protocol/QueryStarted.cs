namespace Corrosion.Client.Akka.Protocol;

/// <summary>The first answer to <see cref="Query"/>: the result's columns. Its sender is the stream actor.</summary>
/// <param name="Columns">Column names.</param>
public sealed record QueryStarted(IReadOnlyList<string> Columns) : IClientMessage;
