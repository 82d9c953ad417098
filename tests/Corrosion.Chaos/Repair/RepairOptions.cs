using System.Globalization;

namespace Corrosion.Chaos.Repair;

/// <summary>
/// The repair measurement (issue 12): repeated partitions with writes on both sides, then the time
/// from each heal until every node holds every version written. Nodes run with the agent's own
/// defaults unless <see cref="Tuning"/> says otherwise.
/// </summary>
public sealed record RepairOptions
{
    public int Seed { get; init; } = 42;

    public int Nodes { get; init; } = 5;

    /// <summary>Partitions to measure, one after the other.</summary>
    public int Runs { get; init; } = 5;

    /// <summary>Each partition lasts a seeded random time between this and <see cref="PartitionMax"/>.</summary>
    public TimeSpan PartitionMin { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan PartitionMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Writes every node makes at each of three moments of a partition (its start, middle and last half second).</summary>
    public int WritesPerMoment { get; init; } = 2;

    /// <summary>A heal not repaired within this is recorded as not repaired (and the run goes on).</summary>
    public TimeSpan RepairDeadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often every node's sync state is read while waiting for the repair.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Quiet time after a repair (full membership seen) before the next partition.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan StartDeadline { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>HOCON lines every node gets; empty: the agent's defaults (what the figure is about).</summary>
    public string Tuning { get; init; } = string.Empty;

    public string? Directory { get; init; }

    public bool KeepDirectory { get; init; }

    /// <summary>The <c>corrosion</c> executable (point it at another build for a before/after).</summary>
    public string CorrosionDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "corrosion.dll");

    /// <summary>Parses <c>5..60</c> (seconds) or a single number.</summary>
    public static (TimeSpan Min, TimeSpan Max) ParseRange(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split("..", StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var min)
            || !double.TryParse(parts[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var max)
            || min <= 0 || max < min)
        {
            throw new FormatException($"\"{text}\" is not a range of seconds such as 5..60");
        }

        return (TimeSpan.FromSeconds(min), TimeSpan.FromSeconds(max));
    }
}
