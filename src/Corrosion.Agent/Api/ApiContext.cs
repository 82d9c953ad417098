using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Api;

/// <summary>What the HTTP endpoints need from the node: the writer actor, the read pool, the options.</summary>
/// <param name="Storage">The writer actor.</param>
/// <param name="Store">The store, used here only for its read pool and identity.</param>
/// <param name="Options">The node's options.</param>
/// <param name="Health">Live figures for <c>/v1/health</c> (members, gaps, queues), filled in by the node.</param>
/// <param name="Membership">The membership actor for <c>/v1/members</c>; null when the node runs without one.</param>
/// <param name="Subscriptions">The subscription actor for <c>/v1/subscriptions</c> and <c>/v1/updates</c>; null when the node runs without one.</param>
public sealed record ApiContext(
    ActorRef<StorageCommand> Storage,
    CrdtStore Store,
    NodeOptions Options,
    Func<CancellationToken, Task<HealthReport>> Health,
    ActorRef<MembershipCommand>? Membership = null,
    ActorRef<Subscriptions.SubscriptionCommand>? Subscriptions = null)
{
    /// <summary>The gate write transactions pass first (delayed while a peer trails too far); null delays none.</summary>
    public Replication.Admission.WriteAdmission? Admission { get; init; }

    /// <summary>The node's actor id as a JSON string, encoded once (every transaction's answer carries it).</summary>
    internal System.Text.Json.JsonEncodedText ActorIdJson { get; } = System.Text.Json.JsonEncodedText.Encode(Store.SiteId.ToString());
}
