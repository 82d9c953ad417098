using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Corrosion.Cli;

/// <summary>
/// <c>CORROSION_EXIT_WITH_PARENT=PID</c>: the agent stops, as on SIGTERM, once process PID is gone
/// (exited, killed, or a zombie). Test harnesses set it to their own id, so an agent never
/// outlives the test host that started it, even when that host is SIGKILLed. Checked once a second
/// from <c>/proc/PID/stat</c> (its state and start time, so a reused id does not count as the
/// parent); elsewhere than Linux through <see cref="Process"/>.
/// </summary>
internal sealed class ParentWatch : IDisposable
{
    public const string Variable = "CORROSION_EXIT_WITH_PARENT";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly int _pid;
    private readonly string? _startTime;
    private readonly Timer _timer;
    private readonly Action _gone;
    private int _fired;

    private ParentWatch(int pid, string? startTime, Action gone)
    {
        _pid = pid;
        _startTime = startTime;
        _gone = gone;
        _timer = new Timer(_ => Check(), null, Timeout.Infinite, Timeout.Infinite);
        _timer.Change(TimeSpan.Zero, Interval);
    }

    /// <summary>The process id to watch, from the variable (null when unset or empty).</summary>
    /// <exception cref="FormatException">The variable is not a positive process id.</exception>
    public static int? ParentFromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
        {
            throw new FormatException($"environment variable {Variable} must be a process id (a positive integer), not \"{value}\"");
        }

        return pid;
    }

    /// <summary>Starts watching <paramref name="pid"/>; <paramref name="gone"/> runs once, on a timer thread, when it is gone (at once if it already is).</summary>
    public static ParentWatch Start(int pid, Action gone) => new(pid, ReadStartTime(pid), gone);

    private void Check()
    {
        if (Volatile.Read(ref _fired) != 0 || Alive())
        {
            return;
        }

        if (Interlocked.Exchange(ref _fired, 1) == 0)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            _gone();
        }
    }

    private bool Alive()
    {
        if (OperatingSystem.IsLinux())
        {
            var stat = ReadStat(_pid);
            return stat is not null && stat.Value.State is not ('Z' or 'X') && (_startTime is null || stat.Value.StartTime == _startTime);
        }

        return AliveByProcess(_pid);
    }

    // A method of its own, so that on Linux compiling Alive does not load System.Diagnostics.Process (0.4 MiB resident).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool AliveByProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string? ReadStartTime(int pid) => OperatingSystem.IsLinux() ? ReadStat(pid)?.StartTime : null;

    /// <summary>State (field 3) and start time (field 22) of <c>/proc/PID/stat</c>; null when there is no such process.</summary>
    private static (char State, string StartTime)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
        var end = text.LastIndexOf(')');
        var fields = end < 0 ? [] : text[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && fields[0].Length == 1 ? (fields[0][0], fields[19]) : null;
    }

    public void Dispose() => _timer.Dispose();
}
