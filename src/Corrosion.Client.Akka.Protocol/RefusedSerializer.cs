using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Event;

namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Takes the place of Akka's default Newtonsoft JSON serializer (id 1, bound to <c>System.Object</c>) in
/// strict mode (<see cref="ClientProtocolConfig.Strict"/>): it serializes nothing and deserializes
/// nothing, so a message of a type outside the registered protocols is refused on both ends instead of
/// travelling with Newtonsoft's type names.
/// </summary>
public sealed class RefusedSerializer : global::Akka.Serialization.Serializer
{
    /// <summary>Created by Akka's serialization extension from configuration.</summary>
    /// <param name="system">The actor system (its log records each refusal).</param>
    public RefusedSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <summary>Created by Akka's serialization extension when <c>serialization-settings.json</c> exists (it does by default).</summary>
    /// <param name="system">The actor system.</param>
    /// <param name="settings">The replaced serializer's settings (unused).</param>
    public RefusedSerializer(ExtendedActorSystem system, global::Akka.Configuration.Config settings)
        : base(system)
    {
        _ = settings;
    }

    /// <inheritdoc />
    public override int Identifier => 1;

    /// <inheritdoc />
    public override bool IncludeManifest => false;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        var type = obj?.GetType().FullName ?? "null";
        system.Log.Warning("refused to serialize a {0}: strict serialization sends only registered message types", type);
        throw new SerializationException($"{type} has no registered serializer (strict serialization: only the Corrosion client protocol and Akka's own messages cross the network)");
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type type)
    {
        system.Log.Warning("refused a message sent with the JSON (Newtonsoft) serializer, type {0}: strict serialization; it was not deserialized", type?.FullName ?? "unknown");
        throw new SerializationException("strict serialization: messages of the Newtonsoft JSON serializer are refused");
    }
}
