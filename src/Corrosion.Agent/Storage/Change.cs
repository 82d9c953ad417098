namespace Corrosion.Agent.Storage;

/// <summary>
/// One changed cell, as it travels between nodes (DESIGN.md §4):
/// the row's primary-key values, the column (<c>"-1"</c> for the row sentinel), the value, the
/// column's clock, the origin actor and version that last won the cell, the row's causal length,
/// and the change's position inside its version.
/// </summary>
/// <param name="Table">The replicated table.</param>
/// <param name="Pk">The primary-key values, in key column order.</param>
/// <param name="Cid">The column name, or <see cref="SentinelCid"/> for the row's existence.</param>
/// <param name="Value">The cell's value (NULL for sentinel changes).</param>
/// <param name="ColVersion">The column's clock.</param>
/// <param name="DbVersion">The origin actor's version that wrote this cell.</param>
/// <param name="SiteId">The origin actor.</param>
/// <param name="Cl">The row's causal length (odd: alive, even: deleted).</param>
/// <param name="Seq">The change's sequence number inside its version.</param>
public sealed record Change(
    string Table,
    IReadOnlyList<SqlValue> Pk,
    string Cid,
    SqlValue Value,
    long ColVersion,
    long DbVersion,
    ActorId SiteId,
    long Cl,
    long Seq)
{
    /// <summary>The column id of the row sentinel, whose col_version is the causal length.</summary>
    public const string SentinelCid = "-1";

    /// <summary>True for a row sentinel change (a row's insert, resurrection or delete).</summary>
    public bool IsSentinel => Cid == SentinelCid;

    /// <summary>Structural equality, comparing the key values one by one.</summary>
    public bool Equals(Change? other) =>
        other is not null
        && Table == other.Table
        && Pk.SequenceEqual(other.Pk)
        && Cid == other.Cid
        && Value.Equals(other.Value)
        && ColVersion == other.ColVersion
        && DbVersion == other.DbVersion
        && SiteId == other.SiteId
        && Cl == other.Cl
        && Seq == other.Seq;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Table);
        foreach (var v in Pk)
        {
            hash.Add(v);
        }

        hash.Add(Cid);
        hash.Add(Value);
        hash.Add(ColVersion);
        hash.Add(DbVersion);
        hash.Add(SiteId);
        hash.Add(Cl);
        hash.Add(Seq);
        return hash.ToHashCode();
    }
}
