using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>A subscription as the subscription file keeps it.</summary>
/// <param name="Id">Its query id.</param>
/// <param name="Statement">The statement with its parameters.</param>
/// <param name="Hash">The statement's hash.</param>
/// <param name="Columns">The result's column names.</param>
/// <param name="LastRowId">The last row id handed out.</param>
/// <param name="LastChangeId">The last change id handed out.</param>
/// <param name="PrunedThrough">Changes up to this id are no longer kept.</param>
/// <param name="LastListenerMs">When it last had a listener (Unix ms).</param>
/// <param name="Rows">Its materialised rows.</param>
internal sealed record StoredSubscription(
    string Id,
    Statement Statement,
    string Hash,
    IReadOnlyList<string> Columns,
    long LastRowId,
    long LastChangeId,
    long PrunedThrough,
    long LastListenerMs,
    List<MaterializedRow> Rows);
