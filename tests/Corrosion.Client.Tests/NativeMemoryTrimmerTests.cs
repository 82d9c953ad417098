using System.Runtime.InteropServices;
using Corrosion.Cli;

namespace Corrosion.Client.Tests;

/// <summary>The agent process's memory trimmer (glibc heaps, and the GC heap once the process is quiet after work).</summary>
public sealed class NativeMemoryTrimmerTests
{
    [Fact]
    public void The_gc_heap_is_compacted_only_when_the_process_went_quiet_after_being_busy()
    {
        Assert.True(NativeMemoryTrimmer.ShouldCompact(busySinceCompaction: true, allocatedSinceLastTick: 0));
        Assert.True(NativeMemoryTrimmer.ShouldCompact(busySinceCompaction: true, NativeMemoryTrimmer.QuietBytes));
        Assert.False(NativeMemoryTrimmer.ShouldCompact(busySinceCompaction: true, NativeMemoryTrimmer.QuietBytes + 1));
        Assert.False(NativeMemoryTrimmer.ShouldCompact(busySinceCompaction: false, allocatedSinceLastTick: 0));
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
        // 32 MiB in blocks under glibc's mmap threshold, so they come from a heap; every block but the
        // last is freed: the last keeps the heap's top, so glibc keeps the freed pages resident.
        const int blocks = 320, size = 100 * 1024;
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
