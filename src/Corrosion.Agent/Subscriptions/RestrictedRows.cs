using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>One keyed re-evaluation: the rows of the query whose <paramref name="Columns"/> hold one of <paramref name="Keys"/>.</summary>
/// <param name="Columns">The restriction's result columns.</param>
/// <param name="Keys">The keys (cells of those columns, encoded with <see cref="RowCodec"/>).</param>
/// <param name="Rows">The query's rows now, filtered on those keys.</param>
internal sealed record RestrictedRows(int[] Columns, HashSet<byte[]> Keys, IReadOnlyList<SqlValue[]> Rows);
