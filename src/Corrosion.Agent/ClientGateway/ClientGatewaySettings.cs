using System.Globalization;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote;
using Akka.Remote.Transport.DotNetty;
using Corrosion.Agent.Node;
using Corrosion.Agent.Transport;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Agent.ClientGateway;

/// <summary>
/// The Akka.Remote settings of a node whose client gateway is on (<c>akka_api.enabled</c>): the remote
/// provider listening on <c>akka_api.addr</c>, untrusted mode (remote systems may not deploy, stop,
/// kill or watch the node's actors, nor select any path but the gateway's), the client protocol's
/// serializer and strict serialization. With the gateway off none of this applies and no socket opens.
/// </summary>
public static class ClientGatewaySettings
{
    /// <summary>The gateway's path in the node's actor system.</summary>
    public const string GatewayPath = "/user/" + NodeSupervisor.Name + "/" + ClientGatewayActor.Name;

    // The json slot bound to the refusing serializer (as ClientProtocolConfig.StrictHocon does), nothing else.
    private static readonly Config LocalOnly = ConfigurationFactory.ParseString("""
        akka.actor {
          serializers {
            json = "Corrosion.Client.Akka.Protocol.RefusedSerializer, Corrosion.Client.Akka.Protocol"
          }
          serialization-identifiers {
            "Corrosion.Client.Akka.Protocol.RefusedSerializer, Corrosion.Client.Akka.Protocol" = 1
          }
        }
        """);

    /// <summary>The actor system's configuration: the remote settings over the node's <c>akka</c> section, when the gateway is on.</summary>
    /// <param name="options">The node's options.</param>
    public static Config ActorSystemConfig(NodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AkkaApi.Enabled)
        {
            return RemoteConfig(options.AkkaApi).WithFallback(options.Akka);
        }

        // Akka creates every configured serializer when the system starts, Newtonsoft's (json, id 1) too,
        // although an actor system without remoting never serializes a message: a node without akka_api gets
        // the refusing serializer in that slot, so Newtonsoft.Json is not loaded (issue 10's idle RSS). Not
        // when the configuration asks Akka to serialize local messages (a debugging setting): those would need it.
        return options.Akka.GetBoolean("akka.actor.serialize-messages") || options.Akka.GetBoolean("akka.actor.serialize-creators")
            ? options.Akka
            : LocalOnly.WithFallback(options.Akka);
    }

    /// <summary>Akka.Remote and serialization settings for <paramref name="api"/>.</summary>
    /// <param name="api">The <c>akka_api</c> section.</param>
    public static Config RemoteConfig(AkkaApiOptions api)
    {
        ArgumentNullException.ThrowIfNull(api);
        if (!EndpointText.TryParse(api.Addr, out var endPoint))
        {
            throw new InvalidOperationException($"akka_api.addr: \"{api.Addr}\" is not host:port");
        }

        var host = endPoint.Address.ToString();
        var hocon = $$"""
            akka {
              actor.provider = remote
              remote {
                dot-netty.tcp {
                  hostname = "{{host}}"
                  port = {{endPoint.Port.ToString(CultureInfo.InvariantCulture)}}
                  enable-ssl = {{(api.Tls.Enabled ? "true" : "false")}}
                }
                untrusted-mode = on
                trusted-selection-paths = ["{{GatewayPath}}"]
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(ClientProtocolConfig.Strict);
    }

    /// <summary>Adds the TLS setup (the certificate of <c>akka_api.tls</c>) when one is configured.</summary>
    /// <param name="setup">The actor system's setup so far.</param>
    /// <param name="api">The <c>akka_api</c> section.</param>
    public static ActorSystemSetup WithTls(ActorSystemSetup setup, AkkaApiOptions api)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(api);
        return !api.Enabled || !api.Tls.Enabled ? setup : WithRemoteTls(setup, api.Tls);
    }

    // Apart, so that a node without the gateway never loads Akka.Remote (JIT-compiling this body would).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static ActorSystemSetup WithRemoteTls(ActorSystemSetup setup, AkkaApiTlsOptions tls)
    {
        var certificate = TlsCertificates.LoadPem(tls.CertFile, tls.KeyFile);
        return setup.And(new DotNettySslSetup(certificate, suppressValidation: tls.Insecure, requireMutualAuthentication: false));
    }

    /// <summary>Fails when <paramref name="system"/> cannot serve the gateway (a host's system without Akka.Remote).</summary>
    /// <exception cref="InvalidOperationException">no remote provider; the message says what to configure.</exception>
    public static void RequireRemoting(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (((ExtendedActorSystem)system).Provider is not IRemoteActorRefProvider)
        {
            throw new InvalidOperationException(
                "akka_api.enabled = true needs an actor system with Akka.Remote (akka.actor.provider = remote) and the client protocol's serializer (ClientProtocolConfig.Strict); the host's actor system has neither");
        }
    }

    /// <summary>The gateway's full address, e.g. <c>akka.tcp://corrosion@127.0.0.1:8790/user/corrosion/client</c>.</summary>
    /// <param name="system">The node's actor system (remote).</param>
    public static string GatewayAddress(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return ((ExtendedActorSystem)system).Provider.DefaultAddress + GatewayPath;
    }
}
