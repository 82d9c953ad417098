using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Storage;

/// <summary>Source-generated log messages of the store.</summary>
internal static partial class StoreLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Opened store {Path}: site {Site}, cluster {Cluster}, {Tables} replicated tables, version {Version}")]
    public static partial void Opened(ILogger logger, string path, ActorId site, ushort cluster, int tables, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema migration: {Step}")]
    public static partial void MigrationStep(ILogger logger, string step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configured cluster id {Configured} differs from the id {Stored} kept in the database; keeping {Stored}")]
    public static partial void ClusterIdKept(ILogger logger, ushort configured, ushort stored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The compaction candidates were not saved at close; the next open walks all versions once")]
    public static partial void CompactionNotSaved(ILogger logger, Exception error);
}
