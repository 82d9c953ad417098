namespace Corrosion.Agent.Storage;

/// <summary>An inclusive range of an actor's versions, <c>Start..End</c>.</summary>
public readonly record struct VersionRange(long Start, long End)
{
    /// <summary>How many versions the range holds.</summary>
    public long Count => End - Start + 1;

    /// <summary>True when <paramref name="version"/> lies in the range.</summary>
    public bool Contains(long version) => version >= Start && version <= End;

    /// <summary>A single version.</summary>
    public static VersionRange Single(long version) => new(version, version);

    /// <summary>Written as <c>start..end</c>.</summary>
    public override string ToString() => $"{Start}..{End}";
}
