using Akka.Actor;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Corrosion.Agent.Actors;

/// <summary>
/// Akka's logger (<c>akka.loggers</c>): Akka.Hosting's <see cref="LoggerFactoryLogger"/> with the
/// node's look. A line's category is the class that logged (<c>Akka.Actor.OneForOneStrategy</c>,
/// <c>Akka.Event.DeadLetterListener</c>…) and its text is the message alone, prefixed with the actor
/// path it is about, so Akka's lines read like the node's own; the exception goes to the logger once.
/// Needs <see cref="LoggerFactorySetup"/> in the system's setup, as its base does.
/// </summary>
public sealed class AkkaLogBridge : LoggerFactoryLogger
{
    private readonly ILoggerFactory _factory;

    /// <summary>Created by Akka when the system starts.</summary>
    public AkkaLogBridge()
    {
        _factory = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value.LoggerFactory;
    }

    /// <inheritdoc />
    protected override void Log(LogEvent log, ActorPath path)
    {
        ArgumentNullException.ThrowIfNull(log);
        var logger = _factory.CreateLogger(log.LogClass?.FullName ?? "Akka");
        var level = log.LogLevel() switch
        {
            AkkaLogLevel.DebugLevel => LogLevel.Debug,
            AkkaLogLevel.InfoLevel => LogLevel.Information,
            AkkaLogLevel.WarningLevel => LogLevel.Warning,
            _ => LogLevel.Error,
        };
        if (!logger.IsEnabled(level))
        {
            return;
        }

        string text;
        try
        {
            text = log.Message?.ToString() ?? string.Empty;
        }
        catch (FormatException)
        {
            text = log.Message is LogMessage message ? message.Format : string.Empty;
        }

#pragma warning disable CA1848, CA2254 // Akka's text is already formatted; there is no template to cache.
        logger.Log(level, default(EventId), log.Cause, "{Source}: {Message}", log.LogSource, text);
#pragma warning restore CA1848, CA2254
    }
}
