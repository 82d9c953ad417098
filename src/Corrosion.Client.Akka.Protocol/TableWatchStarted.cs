namespace Corrosion.Client.Akka.Protocol;

/// <summary>The first message of a table watch; its sender is the stream actor.</summary>
/// <param name="Table">The table.</param>
/// <param name="KeyColumns">The primary-key columns, in the order of <see cref="ClientKeyUpdate.Pk"/>.</param>
public sealed record TableWatchStarted(string Table, IReadOnlyList<string> KeyColumns) : IClientMessage;
