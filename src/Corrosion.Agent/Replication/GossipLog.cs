using System.Net;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Replication;

/// <summary>Source-generated log messages of the gossip actor.</summary>
internal static partial class GossipLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "storage event {Kind} dropped: the gossip actor's mailbox stayed full (sync recovers it)")]
    public static partial void StorageEventDropped(ILogger logger, string kind);

    [LoggerMessage(Level = LogLevel.Debug, Message = "broadcast frame from {Remote} dropped: {Error} ({Detail})")]
    public static partial void FrameDropped(ILogger logger, EndPoint remote, string error, string? detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "sync session with {Peer} failed")]
    public static partial void SyncSessionFailed(ILogger logger, EndPoint peer, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "serving sync session for {Peer} failed")]
    public static partial void ServeFailed(ILogger logger, EndPoint peer, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "merge of {Count} changesets from sync failed: {Error}")]
    public static partial void SyncApplyFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sync round failed before any session ran")]
    public static partial void SyncRoundFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "sync round with {Peers} peers: {Requests} requests")]
    public static partial void SyncRoundStarted(ILogger logger, int peers, int requests);
}
