using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>
/// How <c>corrosion agent</c> gives memory back once a burst of work is over, bound from the
/// <c>memory</c> section. A service embedding the node decides for its own process and may call
/// <see cref="CorrosionNode.ReleaseMemoryAsync"/> itself. The agent looks every
/// <see cref="CheckInterval"/> whether the process allocated much since the last look (a burst); once it
/// did, it looks every <see cref="QuietCheckInterval"/> until an interval allocates little, then gives
/// memory back once: the node's SQLite page caches and remembered broadcast ids, a compacting
/// collection of the GC heap, glibc's free pages. An idle agent wakes only every <see cref="CheckInterval"/>.
/// </summary>
public sealed record MemoryOptions
{
    /// <summary>Default: give memory back after a burst.</summary>
    public const bool DefaultReclaim = true;

    /// <summary>Default time between looks while the process is not in a burst.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>Default time between looks during a burst, for the quiet that ends it.</summary>
    public static readonly TimeSpan DefaultQuietCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Default: keep the executable's and libraries' pages mapped. Unmapping them lowers the process's RSS figure but
    /// frees no memory of the host (the pages stay in the page cache, which a cgroup's usage also counts), and every
    /// page touched again costs a minor fault: so it is opt-in, for hosts that police a process's RSS.
    /// </summary>
    public const bool DefaultReleaseImagePages = false;

    /// <summary>Give memory back after a burst (false: only glibc's free pages, every check).</summary>
    public bool Reclaim { get; init; } = DefaultReclaim;

    /// <summary>
    /// With each reclaim, unmap the resident pages of the executable and its shared libraries that are as read from
    /// disk (code and read-only data, most of it used only at start-up): they stay in the page cache and come back
    /// without I/O when touched again. Linux only.
    /// </summary>
    [ConfigurationKeyName("release_image_pages")]
    public bool ReleaseImagePages { get; init; } = DefaultReleaseImagePages;

    /// <summary>Time between looks while the process is not in a burst.</summary>
    [ConfigurationKeyName("check_interval")]
    public TimeSpan CheckInterval { get; init; } = DefaultCheckInterval;

    /// <summary>Time between looks during a burst: memory comes back about this long after the burst's last allocation.</summary>
    [ConfigurationKeyName("quiet_check_interval")]
    public TimeSpan QuietCheckInterval { get; init; } = DefaultQuietCheckInterval;

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    /// <returns>This instance.</returns>
    public MemoryOptions Validate()
    {
        if (CheckInterval < TimeSpan.FromSeconds(1) || CheckInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"memory.check_interval must be between 1s and 1h, got {CheckInterval}");
        }

        if (QuietCheckInterval < TimeSpan.FromMilliseconds(100) || QuietCheckInterval > CheckInterval)
        {
            throw new ArgumentException($"memory.quiet_check_interval must be between 100ms and memory.check_interval ({CheckInterval}), got {QuietCheckInterval}");
        }

        return this;
    }
}
