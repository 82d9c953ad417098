using Akka.Configuration;

namespace Corrosion.Client.Akka.Protocol;

/// <summary>Akka settings both ends of the client protocol need.</summary>
public static class ClientProtocolConfig
{
    /// <summary>The serializer's name in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "corrosion-client";

    /// <summary>HOCON registering <see cref="ClientProtocolSerializer"/> for every <see cref="IClientMessage"/>.</summary>
    public const string SerializationHocon = """
        akka.actor {
          serializers {
            corrosion-client = "Corrosion.Client.Akka.Protocol.ClientProtocolSerializer, Corrosion.Client.Akka.Protocol"
          }
          serialization-bindings {
            "Corrosion.Client.Akka.Protocol.IClientMessage, Corrosion.Client.Akka.Protocol" = corrosion-client
          }
          serialization-identifiers {
            "Corrosion.Client.Akka.Protocol.ClientProtocolSerializer, Corrosion.Client.Akka.Protocol" = 1101
          }
        }
        """;

    /// <summary>
    /// HOCON for strict serialization: no fallback to the <c>System.Object</c> serializer for unregistered
    /// types, and Akka's Newtonsoft serializer (id 1) replaced by <see cref="RefusedSerializer"/>, so no
    /// Newtonsoft type-name handling reaches or leaves the network.
    /// </summary>
    public const string StrictHocon = """
        akka.actor {
          serializers {
            json = "Corrosion.Client.Akka.Protocol.RefusedSerializer, Corrosion.Client.Akka.Protocol"
          }
          serialization-identifiers {
            "Corrosion.Client.Akka.Protocol.RefusedSerializer, Corrosion.Client.Akka.Protocol" = 1
          }
          serialization-settings.allow-unregistered-types = false
        }
        """;

    /// <summary>The protocol's serializer binding.</summary>
    public static Config Serialization => ConfigurationFactory.ParseString(SerializationHocon);

    /// <summary>The protocol's serializer binding with strict serialization.</summary>
    public static Config Strict => ConfigurationFactory.ParseString(StrictHocon).WithFallback(Serialization);
}
