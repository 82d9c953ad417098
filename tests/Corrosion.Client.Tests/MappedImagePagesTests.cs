using Corrosion.Cli;

namespace Corrosion.Client.Tests;

/// <summary>The agent's unmapping of its executable's and libraries' pages that are unchanged from disk (memory.release_image_pages).</summary>
public sealed class MappedImagePagesTests
{
    private const string Smaps = """
        55d0a0000000-55d0a1000000 r--p 00000000 fe:00 42     /opt/corrosion/corrosion
        Size:              16384 kB
        Rss:                8000 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me
        55d0a1000000-55d0a2000000 r-xp 01000000 fe:00 42     /opt/corrosion/corrosion
        Rss:                6000 kB
        Anonymous:             0 kB
        55d0a2000000-55d0a2100000 r--p 02000000 fe:00 42     /opt/corrosion/corrosion
        Rss:                1024 kB
        Anonymous:           900 kB
        55d0a2100000-55d0a2200000 rw-p 02100000 fe:00 42     /opt/corrosion/corrosion
        Rss:                 512 kB
        Anonymous:            12 kB
        55d0a2200000-55d0a3000000 rw-p 00000000 00:00 0
        Rss:               14000 kB
        Anonymous:         14000 kB
        7f0000000000-7f0000400000 r-xp 00000000 fe:00 7      /usr/lib/x86_64-linux-gnu/libcrypto.so.3
        Rss:                3000 kB
        Anonymous:             0 kB
        7f0000400000-7f0000500000 r--p 00000000 fe:00 8      /var/lib/corrosion/corrosion.db
        Rss:                 100 kB
        Anonymous:             0 kB
        7f0000500000-7f0000600000 r--s 00000000 fe:00 9      /opt/corrosion/libe_sqlite3.so
        Rss:                 100 kB
        Anonymous:             0 kB
        7f0000600000-7f0000700000 r-xp 00000000 fe:00 9      /opt/corrosion/libe_sqlite3.so
        Rss:                   0 kB
        Anonymous:             0 kB
        7ffc00000000-7ffc00002000 r-xp 00000000 00:00 0      [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        """;

    [Fact]
    public void Only_read_only_private_resident_mappings_of_the_executable_and_libraries_without_copied_pages_are_releasable()
    {
        var mappings = MappedImagePages.Releasable(new StringReader(Smaps), "/opt/corrosion/corrosion");

        Assert.Equal(
            [
                new MappedImagePages.Mapping(0x55d0a0000000, 0x55d0a1000000, "/opt/corrosion/corrosion", 8000 * 1024),
                new MappedImagePages.Mapping(0x55d0a1000000, 0x55d0a2000000, "/opt/corrosion/corrosion", 6000 * 1024),
                new MappedImagePages.Mapping(0x7f0000000000, 0x7f0000400000, "/usr/lib/x86_64-linux-gnu/libcrypto.so.3", 3000 * 1024),
            ],
            mappings);
    }

    [Fact]
    public void Another_executable_is_not_touched()
    {
        var mappings = MappedImagePages.Releasable(new StringReader(Smaps), "/usr/bin/dotnet");

        Assert.Equal(["/usr/lib/x86_64-linux-gnu/libcrypto.so.3"], mappings.Select(m => m.Path));
    }

    [Fact]
    public void Releasing_unmaps_the_resident_pages_of_this_processs_libraries_and_they_still_work()
    {
        if (!MappedImagePages.IsSupported)
        {
            Assert.Equal(0, MappedImagePages.ReleaseNow()); // not Linux with glibc: a no-op, not a failure
            return;
        }

        var before = ResidentOfReleasable();
        var released = MappedImagePages.ReleaseNow();
        var after = ResidentOfReleasable();

        // The runtime's own libraries (libcoreclr, libclrjit, System.Native...) are mapped here; what this process
        // touches again comes back at once, most does not.
        Assert.True(before > 4 << 20, $"{before} bytes resident in releasable mappings");
        Assert.True(released >= before / 2, $"released {released} of {before} bytes");
        Assert.True(after < before / 2, $"{after} bytes resident after releasing, {before} before");
        Assert.Equal(4, string.Concat("ab", "cd").Length); // the process goes on (code comes back as it runs)
    }

    private static long ResidentOfReleasable()
    {
        using var smaps = new StreamReader("/proc/self/smaps");
        return MappedImagePages.Releasable(smaps, Environment.ProcessPath).Sum(m => m.ResidentBytes);
    }
}
