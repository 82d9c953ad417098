using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>One row of a subscription's materialised result.</summary>
/// <param name="RowId">Its stable id (kept across updates).</param>
/// <param name="Key">Its identity: the encoded key cells and occurrence number.</param>
/// <param name="Cells">Its current cells.</param>
internal sealed record MaterializedRow(long RowId, byte[] Key, SqlValue[] Cells);
