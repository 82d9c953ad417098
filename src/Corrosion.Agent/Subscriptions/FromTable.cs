namespace Corrosion.Agent.Subscriptions;

/// <summary>One item of a top-level FROM clause, as written.</summary>
/// <param name="Name">The table (or view, or table-valued function) name, without quotes or schema.</param>
/// <param name="IsFunction">True for a table-valued function call (<c>json_each(...)</c>).</param>
/// <param name="NullSupplying">True when an outer join may pair other rows with NULLs in place of this item's.</param>
internal sealed record FromTable(string Name, bool IsFunction, bool NullSupplying);
