using Microsoft.Extensions.Logging;

namespace Corrosion.Actors.Internal;

/// <summary>The kernel's log lines (source-generated).</summary>
internal static partial class KernelLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Actor {Path} failed")]
    public static partial void ActorFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Supervisor {Supervisor} applies {Directive} to {Child} after {ExceptionType}")]
    public static partial void SupervisorDecision(ILogger logger, string supervisor, Directive directive, string child, string exceptionType);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Restart of {Child} scheduled in {DelayMs} ms (restart {Number} within the window)")]
    public static partial void RestartScheduled(ILogger logger, string child, double delayMs, int number);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "{Child} reached {MaxRestarts} restarts within {Window}; escalating")]
    public static partial void RestartLimitReached(ILogger logger, string child, int maxRestarts, TimeSpan window);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Actor {Path} restarted")]
    public static partial void Restarted(ILogger logger, string path);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Critical, Message = "Failure escalated to the root of actor system {System}; stopping the system")]
    public static partial void RootFailure(ILogger logger, string system, Exception exception);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "{Hook} of actor {Path} threw")]
    public static partial void HookFailed(ILogger logger, string hook, string path, Exception exception);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Debug, Message = "Actor {Path} stopped")]
    public static partial void Stopped(ILogger logger, string path);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Critical, Message = "Kernel fault in actor {Path}")]
    public static partial void KernelFault(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Actor system {System} terminated")]
    public static partial void SystemTerminated(ILogger logger, string system);
}
