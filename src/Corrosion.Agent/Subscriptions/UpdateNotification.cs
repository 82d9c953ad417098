using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>A changed primary key of a watched table (<c>{"notify":["update"|"delete",[pk]]}</c>).</summary>
/// <param name="Kind">Update (inserted or changed) or delete.</param>
/// <param name="Pk">The primary-key values, in key column order.</param>
public sealed record UpdateNotification(UpdateKind Kind, IReadOnlyList<SqlValue> Pk);
