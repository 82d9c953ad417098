using System.Text.Json.Serialization;

namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Source-generated JSON metadata of the protocol's messages, for the NativeAOT build of the node: there,
/// reflection-based System.Text.Json cannot build the converters of records with value-type constructor
/// parameters (<c>double?</c>, <c>long</c>), so <see cref="ClientProtocolSerializer"/> reads and writes them
/// through this context. The JSON is the same; a JIT process keeps the reflection-based resolver.
/// </summary>
[JsonSerializable(typeof(Execute))]
[JsonSerializable(typeof(TransactionCommitted))]
[JsonSerializable(typeof(ClientError))]
[JsonSerializable(typeof(Query))]
[JsonSerializable(typeof(QueryStarted))]
[JsonSerializable(typeof(QueryRows))]
[JsonSerializable(typeof(QueryEnd))]
[JsonSerializable(typeof(StreamAck))]
[JsonSerializable(typeof(CancelStream))]
[JsonSerializable(typeof(Subscribe))]
[JsonSerializable(typeof(Resume))]
[JsonSerializable(typeof(Subscribed))]
[JsonSerializable(typeof(SubscriptionRows))]
[JsonSerializable(typeof(SubscriptionEndOfQuery))]
[JsonSerializable(typeof(SubscriptionChanges))]
[JsonSerializable(typeof(WatchTable))]
[JsonSerializable(typeof(TableWatchStarted))]
[JsonSerializable(typeof(TableUpdates))]
[JsonSerializable(typeof(GetMembers))]
[JsonSerializable(typeof(MembersResult))]
[JsonSerializable(typeof(GetHealth))]
[JsonSerializable(typeof(HealthResult))]
internal sealed partial class ClientProtocolJsonContext : JsonSerializerContext;
