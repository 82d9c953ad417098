using System.Runtime.InteropServices;
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
    public void Releasing_unmaps_the_resident_pages_of_a_library_and_it_still_works()
    {
        if (!MappedImagePages.IsSupported)
        {
            Assert.Equal(0, MappedImagePages.ReleaseNow()); // not Linux with glibc: a no-op, not a failure
            return;
        }

        // A private copy of a library, loaded at its own path: no other thread of this test process runs its code
        // or reads its data, so what is resident in it after the release is exactly what the release left (the
        // runtime's own libraries are touched again at once by whatever else runs in parallel).
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var original = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{architecture}", "native", "libe_sqlite3.so"),
            Path.Combine(AppContext.BaseDirectory, "libe_sqlite3.so"),
        }.First(File.Exists);
        var directory = Directory.CreateTempSubdirectory("corrosion-image-pages-");
        var copy = Path.Combine(directory.FullName, "libcorrosion-image-pages-test.so");
        File.Copy(original, copy);
        var handle = NativeLibrary.Load(copy);
        try
        {
            var mappings = ReleasableOf(copy);
            Assert.NotEmpty(mappings);
            foreach (var mapping in mappings)
            {
                for (var address = mapping.Start; address < mapping.End; address += 4096)
                {
                    _ = Marshal.ReadByte((nint)address); // every page resident
                }
            }

            var before = ReleasableOf(copy).Sum(m => m.ResidentBytes);
            var released = MappedImagePages.ReleaseNow();
            var after = ReleasableOf(copy).Sum(m => m.ResidentBytes);
            var residentAfter = ResidentIn(copy);

            Assert.True(before >= 256 << 10, $"{before} bytes resident in the copy's releasable mappings");
            Assert.True(released >= before, $"released {released} bytes, {before} of them in the copy");
            Assert.Equal(0, after);
            Assert.True(residentAfter < before / 8, $"{residentAfter} bytes of the copy resident after releasing, {before} before");

            // The library still works: its code comes back from the page cache as it runs.
            var version = Marshal.GetDelegateForFunctionPointer<LibVersionNumber>(NativeLibrary.GetExport(handle, "sqlite3_libversion_number"))();
            Assert.True(version >= 3_000_000, $"sqlite3_libversion_number() = {version}");
        }
        finally
        {
            NativeLibrary.Free(handle);
            directory.Delete(recursive: true);
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int LibVersionNumber();

    private static List<MappedImagePages.Mapping> ReleasableOf(string path)
    {
        using var smaps = new StreamReader("/proc/self/smaps");
        return MappedImagePages.Releasable(smaps, Environment.ProcessPath).Where(m => m.Path == path).ToList();
    }

    /// <summary>Resident bytes in every mapping of <paramref name="path"/>, releasable or not.</summary>
    private static long ResidentIn(string path)
    {
        long total = 0;
        var inPath = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            if (!fields[0].EndsWith(':'))
            {
                inPath = fields.Length == 6 && fields[5].Trim() == path;
            }
            else if (inPath && fields[0] == "Rss:")
            {
                total += long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return total;
    }
}
