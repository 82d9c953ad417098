using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Subscriptions;

public sealed partial class SubscriptionActor
{
    [LoggerMessage(Level = LogLevel.Information, Message = "loaded {Count} subscriptions from {Path}; each evaluates in full when a listener attaches")]
    private static partial void LogLoaded(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "subscription {QueryId} created over {Tables} with {Rows} rows; {Strategy}: {Reason}")]
    private static partial void LogCreated(ILogger logger, string queryId, string tables, int rows, LiveQueryStrategy strategy, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "subscription {QueryId}: evaluation failed ({Failures} in a row)")]
    private static partial void LogEvaluationFailed(ILogger logger, string queryId, int failures, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "subscription {QueryId}: listener {ListenerId} fell behind and was dropped after change {LastDelivered}")]
    private static partial void LogListenerTooSlow(ILogger logger, string queryId, long listenerId, long lastDelivered);

    [LoggerMessage(Level = LogLevel.Information, Message = "subscription {QueryId} had no listener for {IdleTimeout} and was dropped")]
    private static partial void LogIdleDropped(ILogger logger, string queryId, TimeSpan idleTimeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "storage event {Expected} expected, {Received} received: events were lost on the way (a full mailbox, or the writer dropped this listener); re-evaluating every subscription and ending table watchers")]
    private static partial void LogEventsLost(ILogger logger, long expected, long received);
}
