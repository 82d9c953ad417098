using System.Globalization;
using System.Runtime.InteropServices;

namespace Corrosion.Cli;

/// <summary>
/// Unmaps the resident pages of the process's executable and shared libraries that are still exactly what
/// was read from disk (read-only, private, no page copied on write): code and read-only data, most of it
/// touched once at start-up (the native executable's metadata and start-up code were 40 of an idle
/// member's 77 MiB). They stay in the kernel's page cache, so a page touched again comes back as a
/// minor fault, without I/O; until then it no longer counts in the process's RSS (the kernel could drop
/// those clean pages under pressure anyway, but they counted). Only mappings that are never unmapped while
/// the process runs (the executable, <c>.so</c> libraries) are touched, so the address range read from
/// <c>/proc/self/smaps</c> is still theirs at the <c>madvise(MADV_DONTNEED)</c> a moment later. Linux only.
/// </summary>
internal static class MappedImagePages
{
    private const int MadviseDontNeed = 4;

    private static readonly Madvise? Advise = Find();

    // int madvise(void *addr, size_t length, int advice)
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int Madvise(nint address, nuint length, int advice);

    /// <summary>A mapping of a file whose resident pages may be unmapped.</summary>
    /// <param name="Start">First address.</param>
    /// <param name="End">Address after the last.</param>
    /// <param name="Path">The file.</param>
    /// <param name="ResidentBytes">Its resident bytes when read.</param>
    internal readonly record struct Mapping(ulong Start, ulong End, string Path, long ResidentBytes);

    /// <summary>Whether this process can do it (Linux with glibc's <c>madvise</c>).</summary>
    public static bool IsSupported => Advise is not null && File.Exists("/proc/self/smaps");

    /// <summary>Unmaps the resident pages of <see cref="Releasable"/> mappings of this process; returns the bytes that were resident in them.</summary>
    public static long ReleaseNow()
    {
        if (Advise is not { } advise || !File.Exists("/proc/self/smaps"))
        {
            return 0;
        }

        List<Mapping> mappings;
        using (var smaps = new StreamReader("/proc/self/smaps"))
        {
            mappings = Releasable(smaps, Environment.ProcessPath);
        }

        long released = 0;
        foreach (var mapping in mappings)
        {
            if (advise((nint)mapping.Start, (nuint)(mapping.End - mapping.Start), MadviseDontNeed) == 0)
            {
                released += mapping.ResidentBytes;
            }
        }

        return released;
    }

    /// <summary>
    /// The mappings in <paramref name="smaps"/> (the format of <c>/proc/PID/smaps</c>) of <paramref name="executable"/>
    /// or a shared library (<c>*.so</c>, <c>*.so.N</c>) that are readable, not writable, private, have resident
    /// pages and none of them anonymous (copied on write, e.g. relocated data: those hold what no file has).
    /// </summary>
    internal static List<Mapping> Releasable(TextReader smaps, string? executable)
    {
        var result = new List<Mapping>();
        (ulong Start, ulong End, string Perms, string Path)? current = null;
        long rss = 0;
        long anonymous = 0;

        void Flush()
        {
            if (current is { } m && m.Perms.Length == 4 && m.Perms[0] == 'r' && m.Perms[1] == '-' && m.Perms[3] == 'p'
                && rss > 0 && anonymous == 0 && (m.Path == executable || IsSharedLibrary(m.Path)))
            {
                result.Add(new Mapping(m.Start, m.End, m.Path, rss * 1024));
            }
        }

        while (smaps.ReadLine() is { } line)
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            if (fields[0].EndsWith(':'))
            {
                if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kiB))
                {
                    if (fields[0] == "Rss:")
                    {
                        rss = kiB;
                    }
                    else if (fields[0] == "Anonymous:")
                    {
                        anonymous = kiB;
                    }
                }

                continue;
            }

            var range = fields[0].Split('-');
            if (range.Length != 2 || fields.Length < 5
                || !ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end))
            {
                continue;
            }

            Flush();
            current = (start, end, fields[1], fields.Length == 6 ? fields[5].Trim() : "");
            rss = 0;
            anonymous = 0;
        }

        Flush();
        return result;
    }

    private static bool IsSharedLibrary(string path)
    {
        if (!path.StartsWith('/'))
        {
            return false;
        }

        var name = Path.GetFileName(path);
        return name.EndsWith(".so", StringComparison.Ordinal) || name.Contains(".so.", StringComparison.Ordinal);
    }

    private static Madvise? Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc))
        {
            return null;
        }

        return NativeLibrary.TryGetExport(libc, "madvise", out var address)
            ? Marshal.GetDelegateForFunctionPointer<Madvise>(address)
            : null;
    }
}
