using System.Diagnostics.Metrics;
using Corrosion.Agent.Telemetry;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The store's instruments, on the <c>Corrosion.Storage</c> meter. Prometheus names (OpenTelemetry's
/// conversion: dots to underscores, the unit as a suffix, <c>_total</c> on counters) are in the README.
/// </summary>
internal static class StorageMetrics
{
    private static readonly Meter Meter = new(CorrosionTelemetry.StorageMeter);

    private static readonly Counter<long> Transactions = Meter.CreateCounter<long>(
        "corrosion.storage.transactions", "{transaction}", "Local write transactions, by outcome (committed, failed, timed_out)");

    private static readonly Histogram<double> TransactionDuration = Meter.CreateHistogram(
        "corrosion.storage.transaction.duration", "s", "Time a local write transaction took in the writer, commit included",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    /// <summary>The name of <see cref="CommitSize"/> (the http bench reads it in-process).</summary>
    public const string CommitSizeName = "corrosion.storage.commit.transactions";

    private static readonly Histogram<long> CommitSize = Meter.CreateHistogram(
        CommitSizeName, "{transaction}", "Local write transactions that shared one SQLite commit (group commit; 1 when alone)",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });

    private static readonly Counter<long> Changes = Meter.CreateCounter<long>(
        "corrosion.storage.changes", "{change}", "Changes written: origin=local (committed by local transactions) or remote (merged changes that changed data)");

    private static readonly Counter<long> Merges = Meter.CreateCounter<long>(
        "corrosion.storage.merges", "{batch}", "Batches of remote changesets merged, by outcome (applied, failed)");

    private static readonly Counter<long> VersionsApplied = Meter.CreateCounter<long>(
        "corrosion.storage.versions.applied", "{version}", "Remote versions that became applied (complete or cleared)");

    private static readonly Counter<long> VersionsCompacted = Meter.CreateCounter<long>(
        "corrosion.storage.versions.compacted", "{version}", "Cleared versions (all their cells overwritten) whose bookkeeping compaction deleted");

    private static readonly Histogram<double> MergeDuration = Meter.CreateHistogram(
        "corrosion.storage.merge.duration", "s", "Time the writer took to merge one batch of remote changesets",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    static StorageMetrics()
    {
        Meter.CreateObservableGauge("corrosion.storage.version", () => Sum(static t => t.Store?.CurrentVersion ?? 0), "{version}", "This node's latest local version");
        Meter.CreateObservableGauge("corrosion.storage.gaps", () => Sum(static t => t.Gaps), "{version}", "Versions of other nodes known to exist but not applied yet (versions behind)");
        Meter.CreateObservableGauge("corrosion.storage.db.size", () => Sum(static t => FileSize(t.DbPath)), "By", "Size of the SQLite database file");
        Meter.CreateObservableGauge("corrosion.storage.wal.size", () => Sum(static t => FileSize(t.DbPath + "-wal")), "By", "Size of the SQLite write-ahead log");
    }

    /// <summary>Versions a compaction step deleted the bookkeeping of.</summary>
    public static void Compacted(int versions)
    {
        if (versions > 0)
        {
            VersionsCompacted.Add(versions);
        }
    }

    /// <summary>Creates the instruments (the static constructor) before the first scrape.</summary>
    public static void Touch()
    {
    }

    public static void Committed(TransactionResult result)
    {
        Transactions.Add(1, new KeyValuePair<string, object?>("outcome", "committed"));
        TransactionDuration.Record(result.Elapsed.TotalSeconds);
        var changes = 0L;
        foreach (var chunk in result.Changesets)
        {
            changes += chunk.Changes.Count;
        }

        if (changes > 0)
        {
            Changes.Add(changes, new KeyValuePair<string, object?>("origin", "local"));
        }
    }

    /// <summary>The committed transactions of a group commit: their durations, and one addition to each counter for the group.</summary>
    public static void Committed(IReadOnlyList<GroupedTransaction> outcomes)
    {
        var committed = 0L;
        var changes = 0L;
        foreach (var outcome in outcomes)
        {
            if (outcome.Result is not { } result)
            {
                continue;
            }

            committed++;
            TransactionDuration.Record(result.Elapsed.TotalSeconds);
            foreach (var chunk in result.Changesets)
            {
                changes += chunk.Changes.Count;
            }
        }

        if (committed > 0)
        {
            Transactions.Add(committed, new KeyValuePair<string, object?>("outcome", "committed"));
        }

        if (changes > 0)
        {
            Changes.Add(changes, new KeyValuePair<string, object?>("origin", "local"));
        }
    }

    /// <summary>One SQLite commit of local transactions: how many shared it.</summary>
    public static void Commit(int transactions) => CommitSize.Record(transactions);

    public static void Failed(bool timedOut, TimeSpan elapsed)
    {
        Transactions.Add(1, new KeyValuePair<string, object?>("outcome", timedOut ? "timed_out" : "failed"));
        TransactionDuration.Record(elapsed.TotalSeconds);
    }

    public static void Merged(MergeResult result, TimeSpan elapsed)
    {
        Merges.Add(1, new KeyValuePair<string, object?>("outcome", "applied"));
        MergeDuration.Record(elapsed.TotalSeconds);
        if (result.Changed.Count > 0)
        {
            Changes.Add(result.Changed.Count, new KeyValuePair<string, object?>("origin", "remote"));
        }

        var versions = 0L;
        foreach (var applied in result.Applied)
        {
            versions += applied.Versions.Count;
        }

        if (versions > 0)
        {
            VersionsApplied.Add(versions);
        }
    }

    public static void MergeFailed() => Merges.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));

    private static long Sum(Func<NodeTelemetry, long> of) => NodeTelemetry.Live.Sum(of);

    private static long FileSize(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return 0;
        }

        try
        {
            var file = new FileInfo(path);
            return file.Exists ? file.Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
