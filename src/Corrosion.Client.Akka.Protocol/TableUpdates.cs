namespace Corrosion.Client.Akka.Protocol;

/// <summary>A batch of changed keys of a watched table.</summary>
/// <param name="Table">The table.</param>
/// <param name="Seq">The batch number (acknowledge with <see cref="StreamAck"/>).</param>
/// <param name="Updates">At least one key.</param>
public sealed record TableUpdates(string Table, long Seq, IReadOnlyList<ClientKeyUpdate> Updates) : IClientMessage;
