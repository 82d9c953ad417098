namespace Corrosion.Client.Akka.Protocol;

/// <summary>A chunk of a query's rows; acknowledge it with <see cref="StreamAck"/> of its <paramref name="Seq"/>.</summary>
/// <param name="Seq">The chunk's number in the stream, from 1.</param>
/// <param name="Rows">At most <c>akka_api.batch_rows</c> rows.</param>
public sealed record QueryRows(long Seq, IReadOnlyList<ClientRow> Rows) : IClientMessage;
