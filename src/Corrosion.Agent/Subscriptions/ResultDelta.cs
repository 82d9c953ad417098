namespace Corrosion.Agent.Subscriptions;

/// <summary>What one re-evaluation changed in a materialised result.</summary>
/// <param name="Changes">The change events, numbered after the previous last change id.</param>
/// <param name="Upserted">Rows inserted or updated (to persist).</param>
/// <param name="Deleted">Row ids removed (to persist).</param>
internal sealed record ResultDelta(IReadOnlyList<SubscriptionChange> Changes, IReadOnlyList<MaterializedRow> Upserted, IReadOnlyList<long> Deleted)
{
    public bool IsEmpty => Upserted.Count == 0 && Deleted.Count == 0;
}
