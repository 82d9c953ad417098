using Akka.Actor;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Actors;

/// <summary>
/// The node's actors log through Microsoft.Extensions.Logging directly (source-generated
/// <c>[LoggerMessage]</c> methods), with the factory the system was set up with
/// (<see cref="LoggerFactorySetup"/>); a system without one (a plain test kit) logs nowhere.
/// </summary>
internal static class ActorLogging
{
    /// <summary>A logger whose category is <typeparamref name="T"/>.</summary>
    public static ILogger<T> LoggerFor<T>(this IActorContext context) =>
        Factory(context.System).CreateLogger<T>();

    /// <summary>The logger factory of <paramref name="system"/>, or a factory that logs nowhere.</summary>
    public static ILoggerFactory Factory(ActorSystem system)
    {
        var setup = system.Settings.Setup.Get<LoggerFactorySetup>();
        return setup.HasValue ? setup.Value.LoggerFactory : NullLoggerFactory.Instance;
    }
}
