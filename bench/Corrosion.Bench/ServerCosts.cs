using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Corrosion.Bench;

/// <summary>
/// What a load phase cost the in-process node, per request: this process's CPU (only the node runs
/// in it while an external load generator such as <c>wrk</c> drives it), the load generator's CPU (this
/// process's reaped children, Linux), bytes allocated, garbage collections, and how many transactions
/// shared each SQLite commit (<c>corrosion.storage.commit.transactions</c>).
/// </summary>
internal sealed partial class ServerCosts : IDisposable
{
    private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly TimeSpan _children = ChildrenCpu();
    private readonly long _allocated = GC.GetTotalAllocatedBytes(precise: false);
    private readonly int[] _collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly MeterListener _listener = new();
    private long _commits;
    private long _committed;

    public ServerCosts()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == Corrosion.Agent.Storage.StorageMetrics.CommitSizeName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _committed, value);
        });
        _listener.Start();
    }

    /// <summary>One line: CPU of the node and of the load generator, allocations, GCs, transactions per commit.</summary>
    public string Describe(long requests)
    {
        var wall = _wall.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds;
        var children = (ChildrenCpu() - _children).TotalMicroseconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - _allocated;
        var commits = Interlocked.Read(ref _commits);
        var perCommit = commits == 0 ? 0 : (double)Interlocked.Read(ref _committed) / commits;
        return string.Create(CultureInfo.InvariantCulture,
            $"node CPU {cpu / requests:F1} µs/tx ({cpu / 1e6 / wall:F2} cores), load generator CPU {children / requests:F1} µs/tx; "
            + $"{allocated / (double)requests:N0} bytes allocated/tx; GCs gen0/1/2 {GC.CollectionCount(0) - _collections[0]}/{GC.CollectionCount(1) - _collections[1]}/{GC.CollectionCount(2) - _collections[2]}; "
            + $"{perCommit:F1} transactions per SQLite commit ({commits:N0} commits)");
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>CPU used by this process's children that have been waited for (getrusage RUSAGE_CHILDREN); zero off Linux.</summary>
    internal static TimeSpan ChildrenCpu()
    {
        if (!OperatingSystem.IsLinux() || GetRusage(-1, out var usage) != 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromMicroseconds(((usage.UserSeconds + usage.SystemSeconds) * 1_000_000.0) + usage.UserMicros + usage.SystemMicros);
    }

    /// <summary>Context switches of this whole process so far (threads that ended included): voluntary, involuntary.</summary>
    internal static (long Voluntary, long Involuntary) ContextSwitches()
    {
        if (!OperatingSystem.IsLinux() || GetRusage(0, out var usage) != 0)
        {
            return (0, 0);
        }

        // ru_nvcsw and ru_nivcsw, the last two of the fourteen longs after the two times.
        return (usage.Rest[12], usage.Rest[13]);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)]
        public long[] Rest;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRusage(int who, out RUsage usage);
}
