using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;

namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// The wire format of the client protocol: System.Text.Json, one manifest per message type (its
/// name), with no type names inside the payload. A manifest that is not one of the protocol's types is
/// refused (logged, then <see cref="SerializationException"/>, which Akka.Remote logs and drops): nothing
/// but the protocol's own records is ever created from bytes that came over the network. Actor
/// references travel as their full remote path.
/// </summary>
public sealed class ClientProtocolSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer's id (<c>akka.actor.serialization-identifiers</c>); 0–40 are Akka's own.</summary>
    public const int Id = 1101;

    private static readonly FrozenDictionary<string, Type> TypesByManifest = new Type[]
    {
        typeof(Execute), typeof(TransactionCommitted), typeof(ClientError),
        typeof(Query), typeof(QueryStarted), typeof(QueryRows), typeof(QueryEnd),
        typeof(StreamAck), typeof(CancelStream),
        typeof(Subscribe), typeof(Resume), typeof(Subscribed),
        typeof(SubscriptionRows), typeof(SubscriptionEndOfQuery), typeof(SubscriptionChanges),
        typeof(WatchTable), typeof(TableWatchStarted), typeof(TableUpdates),
        typeof(GetMembers), typeof(MembersResult), typeof(GetHealth), typeof(HealthResult),
    }.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<Type, string> ManifestsByType = TypesByManifest.ToFrozenDictionary(p => p.Value, p => p.Key);

    private readonly JsonSerializerOptions _json;

    /// <summary>Created by Akka's serialization extension from configuration.</summary>
    /// <param name="system">The actor system (resolves actor references on arrival).</param>
    public ClientProtocolSerializer(ExtendedActorSystem system)
        : base(system)
    {
        _json = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // A protocol record is small; a deeper document is not one of ours.
            MaxDepth = 16,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            Converters = { new ActorRefConverter(system) },
        };
        if (RuntimeFeature.IsDynamicCodeSupported)
        {
            _json.Converters.Add(new JsonStringEnumConverter());
        }
        else
        {
            // NativeAOT: generated metadata and one converter per enum (the same JSON; see ClientProtocolJsonContext).
            _json.TypeInfoResolver = ClientProtocolJsonContext.Default;
            _json.Converters.Add(new JsonStringEnumConverter<ClientValueKind>());
            _json.Converters.Add(new JsonStringEnumConverter<ClientChangeKind>());
            _json.Converters.Add(new JsonStringEnumConverter<ClientErrorCode>());
        }
    }

    /// <summary>The manifests this serializer accepts: the protocol's message type names.</summary>
    public static IReadOnlyCollection<string> Manifests => TypesByManifest.Keys;

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return ManifestsByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} is not a message of the Corrosion client protocol");
    }

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = TypesByManifest[Manifest(obj)];
        return JsonSerializer.SerializeToUtf8Bytes(obj, type, _json);
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest is null || !TypesByManifest.TryGetValue(manifest, out var type))
        {
            system.Log.Warning("refused a message of unknown manifest {0} (not a Corrosion client protocol type); it was not deserialized", manifest);
            throw new SerializationException($"unknown manifest \"{manifest}\": not a message of the Corrosion client protocol");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, type, _json)
                ?? throw new SerializationException($"an empty {manifest} message");
        }
        catch (JsonException e)
        {
            system.Log.Warning("refused a malformed {0} message: {1}", manifest, e.Message);
            throw new SerializationException($"a malformed {manifest} message: {e.Message}", e);
        }
    }

    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var path = reader.GetString();
            return string.IsNullOrEmpty(path) ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
        }

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Serialization.SerializedActorPath(value));
    }
}
