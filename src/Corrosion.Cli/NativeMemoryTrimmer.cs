using System.Runtime.InteropServices;

namespace Corrosion.Cli;

/// <summary>
/// Gives memory the agent's process no longer uses back to the system, in the agent's process only
/// (a service hosting the node decides for its own process):
/// <list type="bullet">
/// <item>the C heap's free pages, now and then (glibc's <c>malloc_trim(0)</c>): start-up (the JIT
/// compiling thousands of methods, SQLite opening its connections) and bursts of writes leave megabytes
/// freed inside glibc's heaps that glibc keeps mapped because a live allocation sits above them; an idle
/// node had 10 MiB of <c>[heap]</c> before a trim and 2 MiB after. Elsewhere than glibc it does nothing.</item>
/// <item>the GC's free space, once after start-up and whenever the process goes quiet after allocating
/// much (a burst of writes): one compacting <see cref="GCCollectionMode.Aggressive"/> collection, which
/// also decommits what the gen0 budget had touched (3–4 MiB of an idle node). Never while the process
/// keeps allocating, so a busy node does not pay full collections for it.</item>
/// </list>
/// Wakes the process once per <see cref="Interval"/>; bench/RESULTS.md ("An idle node under 80 MiB") has the figures.
/// </summary>
internal sealed class NativeMemoryTrimmer : IDisposable
{
    /// <summary>Time from the node's start to the first trim (most of start-up's JIT work is done by then).</summary>
    public static readonly TimeSpan FirstTrim = TimeSpan.FromSeconds(5);

    /// <summary>Time between trims (and between looks at whether the process went quiet).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>More than this allocated in one interval: the process was busy; a quiet interval after that compacts the GC heap.</summary>
    public const long BusyBytes = 32L << 20;

    /// <summary>At most this allocated in one interval: the process is quiet.</summary>
    public const long QuietBytes = 4L << 20;

    private static readonly MallocTrim? Trim = Find();

    private readonly Timer _timer;
    private readonly object _gate = new();
    private long _allocatedAtLastTick = -1;
    private bool _busySinceCompaction = true; // start-up counts as busy

    private NativeMemoryTrimmer() => _timer = new Timer(static self => ((NativeMemoryTrimmer)self!).Tick(), this, FirstTrim, Interval);

    // int malloc_trim(size_t pad)
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MallocTrim(nuint pad);

    /// <summary>Whether trimming is possible in this process (glibc).</summary>
    public static bool IsSupported => Trim is not null;

    /// <summary>Trims after <see cref="FirstTrim"/>, then every <see cref="Interval"/>, until disposed.</summary>
    public static NativeMemoryTrimmer Start() => new();

    /// <summary>Whether a tick compacts the GC heap: the process was busy since the last compaction and allocated little since the last tick.</summary>
    /// <param name="busySinceCompaction">More than <see cref="BusyBytes"/> were allocated in an interval since the last compaction (start-up counts).</param>
    /// <param name="allocatedSinceLastTick">Bytes allocated since the previous tick.</param>
    public static bool ShouldCompact(bool busySinceCompaction, long allocatedSinceLastTick) =>
        busySinceCompaction && allocatedSinceLastTick <= QuietBytes;

    private void Tick()
    {
        lock (_gate)
        {
            var allocated = GC.GetTotalAllocatedBytes();
            var since = _allocatedAtLastTick < 0 ? 0 : allocated - _allocatedAtLastTick;
            _allocatedAtLastTick = allocated;
            if (since > BusyBytes)
            {
                _busySinceCompaction = true;
            }
            else if (ShouldCompact(_busySinceCompaction, since))
            {
                _busySinceCompaction = false;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }

            TrimNow();
        }
    }

    /// <summary>Trims once now; false when not supported here.</summary>
    public static bool TrimNow()
    {
        if (Trim is not { } trim)
        {
            return false;
        }

        trim(0);
        return true;
    }

    public void Dispose() => _timer.Dispose();

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
