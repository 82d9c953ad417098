using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Replication;

/// <summary>Structural comparison of wire messages (the shared SyncState holds plain dictionaries).</summary>
internal static class WireEquality
{
    public static bool AreEqual(WireMessage a, WireMessage b) => (a, b) switch
    {
        (SyncStateMessage x, SyncStateMessage y) => AreEqual(x.State, y.State),
        _ => a.Equals(b),
    };

    public static bool AreEqual(SyncState a, SyncState b) =>
        a.Actor == b.Actor
        && a.Heads.Count == b.Heads.Count
        && a.Heads.All(kv => b.Heads.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && a.Needs.Count == b.Needs.Count
        && a.Needs.All(kv => b.Needs.TryGetValue(kv.Key, out var v) && v.SequenceEqual(kv.Value))
        && a.PartialNeeds.Count == b.PartialNeeds.Count
        && a.PartialNeeds.All(kv => b.PartialNeeds.TryGetValue(kv.Key, out var v)
            && v.Count == kv.Value.Count
            && kv.Value.All(p => v.TryGetValue(p.Key, out var seqs) && seqs.SequenceEqual(p.Value)));
}
