using System.Runtime.InteropServices;
using Corrosion.Agent.Node;
using Corrosion.Cli;
using Microsoft.Extensions.Time.Testing;

namespace Corrosion.Client.Tests;

/// <summary>The agent process's memory trimmer (glibc heaps every look; the node's caches and the GC heap once the process is quiet after a burst).</summary>
public sealed class NativeMemoryTrimmerTests
{
    private const long MiB = 1L << 20;

    /// <summary>A trimmer on virtual time whose process allocates what the test says.</summary>
    private sealed class Process : IDisposable
    {
        public FakeTimeProvider Time { get; } = new();

        public long Allocated { get; set; }

        public TimeSpan Cpu { get; set; }

        public int Trims { get; private set; }

        public NativeMemoryTrimmer Trimmer { get; }

        public Process(MemoryOptions? options = null) =>
            Trimmer = new NativeMemoryTrimmer(options ?? new MemoryOptions(), Time, () => Allocated, () => Cpu, () => Task.CompletedTask, () => ++Trims > 0);

        /// <summary>Allocates <paramref name="bytesPerSecond"/> and uses <paramref name="cpuShare"/> of a core for <paramref name="seconds"/>, one virtual second at a time.</summary>
        public void Run(long bytesPerSecond, int seconds, double cpuShare = 0)
        {
            for (var i = 0; i < seconds; i++)
            {
                Allocated += bytesPerSecond;
                Cpu += TimeSpan.FromSeconds(cpuShare);
                Time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        public void Dispose() => Trimmer.Dispose();
    }

    [Fact]
    public void Memory_is_reclaimed_once_after_start_up_and_once_soon_after_a_burst_ends()
    {
        using var process = new Process();
        process.Run(0, 5); // the first look: start-up counts as a burst
        Assert.Equal(1, process.Trimmer.Reclaims);

        process.Run(40 * MiB, 10); // 16 writers for 10 s
        Assert.Equal(1, process.Trimmer.Reclaims);
        Assert.True(process.Trimmer.InBurst);

        // The burst ends: memory comes back within one quiet-check interval after the first quiet one, not 10–20 s later.
        process.Run(0, 4);
        Assert.Equal(2, process.Trimmer.Reclaims);
        Assert.False(process.Trimmer.InBurst);
    }

    [Fact]
    public void An_idle_process_is_looked_at_only_every_check_interval_and_never_reclaimed_again()
    {
        using var process = new Process();
        process.Run(0, 5);
        var looks = process.Trimmer.Looks;
        process.Run(1024, 600); // ten idle minutes: SWIM and timers allocate a little
        Assert.Equal(1, process.Trimmer.Reclaims);
        Assert.Equal(looks + 60, process.Trimmer.Looks);
        Assert.Equal(process.Trimmer.Looks, process.Trims); // glibc's heap is trimmed at every idle look
    }

    [Fact]
    public void A_process_busy_on_the_cpu_without_allocating_is_neither_reclaimed_nor_trimmed_until_it_goes_quiet()
    {
        // A fresh node merging a peer's database: a core of SQLite work, little managed allocation.
        using var process = new Process();
        process.Run(0, 5);
        Assert.Equal(1, process.Trimmer.Reclaims);
        var trims = process.Trims;
        process.Run(256 * 1024, 60, cpuShare: 1.0);
        Assert.True(process.Trimmer.InBurst);
        Assert.Equal(1, process.Trimmer.Reclaims);
        Assert.Equal(trims, process.Trims);

        // Still some CPU (a tenth of a core): not quiet yet.
        process.Run(0, 10, cpuShare: 0.1);
        Assert.Equal(1, process.Trimmer.Reclaims);

        process.Run(0, 4);
        Assert.Equal(2, process.Trimmer.Reclaims);
        Assert.False(process.Trimmer.InBurst);
    }

    [Fact]
    public void A_process_that_keeps_working_is_not_reclaimed_until_it_goes_quiet()
    {
        using var process = new Process();
        process.Run(0, 5);
        process.Run(40 * MiB, 10);
        process.Run(2 * MiB, 60); // neither busy nor quiet: a steady trickle of writes
        Assert.Equal(1, process.Trimmer.Reclaims);
        process.Run(0, 4);
        Assert.Equal(2, process.Trimmer.Reclaims);
    }

    [Fact]
    public void With_reclaim_off_only_the_c_heap_is_trimmed_at_every_check_interval()
    {
        using var process = new Process(new MemoryOptions { Reclaim = false });
        process.Run(0, 5);
        process.Run(40 * MiB, 10);
        process.Run(0, 30);
        Assert.Equal(0, process.Trimmer.Reclaims);
        Assert.Equal(1 + 4, process.Trimmer.Looks); // 5 s, then every 10 s: no quicker looks during the burst
        Assert.Equal(process.Trimmer.Looks, process.Trims);
    }

    [Fact]
    public void Memory_options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new MemoryOptions { CheckInterval = TimeSpan.FromMilliseconds(500) }.Validate());
        Assert.Throws<ArgumentException>(() => new MemoryOptions { QuietCheckInterval = TimeSpan.FromSeconds(20) }.Validate());
        Assert.Throws<ArgumentException>(() => new MemoryOptions { QuietCheckInterval = TimeSpan.Zero }.Validate());
        Assert.NotNull(new MemoryOptions().Validate());
    }

    [Fact]
    public void A_trim_gives_freed_c_heap_memory_back_to_the_system()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out _))
        {
            Assert.False(NativeMemoryTrimmer.TrimNow()); // nothing to trim with: a no-op, not a failure
            return;
        }

        Assert.True(NativeMemoryTrimmer.IsSupported);
        // 64 MiB in blocks under glibc's mmap threshold, so they come from a heap; every block but the
        // last is freed: the last keeps the heap's top, so glibc keeps the freed pages resident.
        const int blocks = 640, size = 100 * 1024; // a margin over the 16 MiB asserted: tests in parallel allocate too
        var held = new IntPtr[blocks];
        for (var i = 0; i < blocks; i++)
        {
            held[i] = Marshal.AllocHGlobal(size);
            for (var offset = 0; offset < size; offset += 4096)
            {
                Marshal.WriteByte(held[i], offset, 1);
            }
        }

        for (var i = 0; i < blocks - 1; i++)
        {
            Marshal.FreeHGlobal(held[i]);
        }

        try
        {
            var before = ResidentKiB();
            Assert.True(NativeMemoryTrimmer.TrimNow());
            var after = ResidentKiB();
            Assert.True(before - after > 16 * 1024, $"VmRSS {before} KiB before the trim, {after} KiB after");
        }
        finally
        {
            Marshal.FreeHGlobal(held[^1]);
        }
    }

    private static long ResidentKiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
