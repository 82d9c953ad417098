namespace Corrosion.Agent.Storage;

/// <summary>An inclusive range of change sequence numbers inside one version, <c>Start..End</c>.</summary>
public readonly record struct SeqRange(long Start, long End)
{
    /// <summary>How many sequence numbers the range holds.</summary>
    public long Count => End - Start + 1;

    /// <summary>True when <paramref name="seq"/> lies in the range.</summary>
    public bool Contains(long seq) => seq >= Start && seq <= End;

    /// <summary>Written as <c>start..end</c>.</summary>
    public override string ToString() => $"{Start}..{End}";
}
