using System.Runtime;
using System.Runtime.InteropServices;
using Corrosion.Agent.Node;

namespace Corrosion.Cli;

/// <summary>
/// Gives memory the agent's process no longer uses back to the system, in the agent's process only
/// (a service hosting the node decides for its own process), configured by the <c>memory</c> section
/// (<see cref="MemoryOptions"/>):
/// <list type="bullet">
/// <item>the C heap's free pages, at every look while the process is not in a burst (glibc's
/// <c>malloc_trim(0)</c>): start-up (the JIT compiling thousands of methods, SQLite opening its
/// connections) and bursts of writes leave megabytes freed inside glibc's heaps that glibc keeps mapped
/// because a live allocation sits above them; an idle node had 10 MiB of <c>[heap]</c> before a trim and
/// 2 MiB after. Elsewhere than glibc it does nothing.</item>
/// <item>once after start-up and once after each burst (an interval that allocated more than
/// <see cref="BusyBytesPerSecond"/> or used more than <see cref="BusyCpuShare"/> of a core, then one that allocated at
/// most <see cref="QuietBytesPerSecond"/> and used at most <see cref="QuietCpuShare"/>; the CPU counts because a node
/// merging a peer's database works in SQLite and allocates little managed memory: taken for quiet, it had its page
/// caches dropped and its C heap trimmed under it, and caught up with 1M rows in 18 s instead of 10):
/// the node's SQLite page caches and remembered broadcast ids (<see cref="CorrosionNode.ReleaseMemoryAsync"/>),
/// then one compacting <see cref="GCCollectionMode.Aggressive"/> collection, which also decommits what
/// the gen0 budget had touched, then (<see cref="MemoryOptions.ReleaseImagePages"/>) the executable's and
/// libraries' pages unchanged from disk (<see cref="MappedImagePages"/>), then the trim. Never while the process keeps allocating, so a busy node
/// does not pay full collections for it.</item>
/// </list>
/// Looks every <see cref="MemoryOptions.CheckInterval"/>, and every <see cref="MemoryOptions.QuietCheckInterval"/>
/// during a burst (so memory comes back soon after its end); an idle process is woken only by the first.
/// bench/RESULTS.md ("An idle node under 80 MiB", "Memory after a burst, session 6") has the figures.
/// </summary>
internal sealed class NativeMemoryTrimmer : IDisposable
{
    /// <summary>Time from the node's start to the first look (most of start-up's JIT work is done by then).</summary>
    public static readonly TimeSpan FirstLook = TimeSpan.FromSeconds(5);

    /// <summary>More than this allocated per second over an interval: the process is busy (a burst).</summary>
    public const long BusyBytesPerSecond = (32L << 20) / 10;

    /// <summary>At most this allocated per second over an interval: the process is quiet.</summary>
    public const long QuietBytesPerSecond = (4L << 20) / 10;

    /// <summary>More than this share of one core used over an interval: the process is busy (a burst).</summary>
    public const double BusyCpuShare = 0.25;

    /// <summary>At most this share of one core used over an interval (and little allocated): the process is quiet.</summary>
    public const double QuietCpuShare = 0.05;

    /// <summary>How long a reclaim waits for each of the node's actors.</summary>
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(5);

    private static readonly MallocTrim? Trim = Find();

    private readonly MemoryOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<long> _allocatedBytes;
    private readonly Func<TimeSpan> _cpuTime;
    private readonly Func<Task> _reclaim;
    private readonly Func<bool> _trim;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private long _allocatedAtLastLook;
    private TimeSpan _cpuAtLastLook;
    private long _lastLookAt;
    private bool _busySinceReclaim = true; // start-up counts as busy
    private bool _disposed;

    /// <param name="options">The <c>memory</c> section.</param>
    /// <param name="time">The clock and timers.</param>
    /// <param name="allocatedBytes">Bytes the process allocated so far (<see cref="GC.GetTotalAllocatedBytes"/>).</param>
    /// <param name="cpuTime">CPU time the process used so far (<see cref="Environment.CpuUsage"/>).</param>
    /// <param name="reclaim">Gives memory back after a burst (the node's caches, then a compacting collection).</param>
    /// <param name="trim">Trims the C heap; false when not possible here.</param>
    internal NativeMemoryTrimmer(MemoryOptions options, TimeProvider time, Func<long> allocatedBytes, Func<TimeSpan> cpuTime, Func<Task> reclaim, Func<bool> trim)
    {
        _options = options;
        _time = time;
        _allocatedBytes = allocatedBytes;
        _cpuTime = cpuTime;
        _reclaim = reclaim;
        _trim = trim;
        _allocatedAtLastLook = allocatedBytes();
        _cpuAtLastLook = cpuTime();
        _lastLookAt = time.GetTimestamp();
        _timer = time.CreateTimer(static self => ((NativeMemoryTrimmer)self!).Look(), this, FirstLook, Timeout.InfiniteTimeSpan);
    }

    // int malloc_trim(size_t pad)
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MallocTrim(nuint pad);

    /// <summary>Whether trimming the C heap is possible in this process (glibc).</summary>
    public static bool IsSupported => Trim is not null;

    /// <summary>Looks after <see cref="FirstLook"/>, then as <paramref name="options"/> say, until disposed.</summary>
    /// <param name="node">The node whose caches a reclaim frees.</param>
    /// <param name="options">The <c>memory</c> section.</param>
    public static NativeMemoryTrimmer Start(CorrosionNode node, MemoryOptions options) =>
        new(options, TimeProvider.System, static () => GC.GetTotalAllocatedBytes(), static () => Environment.CpuUsage.TotalTime, () => ReclaimAsync(node, options), TrimNow);

    /// <summary>Times a reclaim ran (start-up's included).</summary>
    public int Reclaims { get; private set; }

    /// <summary>Times the process was looked at.</summary>
    public int Looks { get; private set; }

    /// <summary>Whether the process is in a burst (busy since the last reclaim), so the next look comes after the quiet-check interval.</summary>
    public bool InBurst => _busySinceReclaim;

    private static async Task ReclaimAsync(CorrosionNode node, MemoryOptions options)
    {
        await node.ReleaseMemoryAsync(NodeTimeout);
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (options.ReleaseImagePages)
        {
            MappedImagePages.ReleaseNow();
        }
    }

    private void Look() => _ = LookAsync();

    private async Task LookAsync()
    {
        bool reclaim;
        bool trim;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            Looks++;
            var now = _time.GetTimestamp();
            var seconds = Math.Max(_time.GetElapsedTime(_lastLookAt, now).TotalSeconds, 0.001);
            var allocated = _allocatedBytes();
            var perSecond = (allocated - _allocatedAtLastLook) / seconds;
            var cpu = _cpuTime();
            var cpuShare = (cpu - _cpuAtLastLook).TotalSeconds / seconds;
            _allocatedAtLastLook = allocated;
            _cpuAtLastLook = cpu;
            _lastLookAt = now;
            reclaim = false;
            if (perSecond > BusyBytesPerSecond || cpuShare > BusyCpuShare)
            {
                _busySinceReclaim = true;
            }
            else if (_busySinceReclaim && perSecond <= QuietBytesPerSecond && cpuShare <= QuietCpuShare)
            {
                _busySinceReclaim = false;
                reclaim = _options.Reclaim;
            }

            // During a burst the C heap is trimmed once, after it; outside one, at every look.
            trim = !_busySinceReclaim || !_options.Reclaim;
        }

        try
        {
            if (reclaim)
            {
                Reclaims++;
                try
                {
                    await _reclaim();
                }
                catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or OperationCanceledException)
                {
                    // The node is stopping; nothing to give back any more.
                }
            }

            if (trim)
            {
                _trim();
            }
        }
        finally
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    // Only the reclaim's own allocations and CPU since the look: they do not make a burst.
                    _allocatedAtLastLook = _allocatedBytes();
                    _cpuAtLastLook = _cpuTime();
                    _lastLookAt = _time.GetTimestamp();
                    _timer.Change(_busySinceReclaim && _options.Reclaim ? _options.QuietCheckInterval : _options.CheckInterval, Timeout.InfiniteTimeSpan);
                }
            }
        }
    }

    /// <summary>Trims the C heap once now; false when not supported here.</summary>
    public static bool TrimNow()
    {
        if (Trim is not { } trim)
        {
            return false;
        }

        trim(0);
        return true;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _timer.Dispose();
    }

    private static MallocTrim? Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc))
        {
            return null;
        }

        return NativeLibrary.TryGetExport(libc, "malloc_trim", out var address)
            ? Marshal.GetDelegateForFunctionPointer<MallocTrim>(address)
            : null;
    }
}
