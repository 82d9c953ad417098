using Akka.Actor;
using Akka.Hosting.Logging;
using Corrosion.Agent.Node;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Support;

/// <summary>Actor systems set up as a node's own (reference.conf's <c>akka</c> section, logging bridged), for harnesses that run several.</summary>
public static class NodeActorSystem
{
    public static ActorSystem Create(string name, ILoggerFactory? logging = null) =>
        ActorSystem.Create(name, BootstrapSetup.Create().WithConfig(AkkaSettings.Reference).And(new LoggerFactorySetup(logging ?? NullLoggerFactory.Instance)));
}
