namespace Corrosion.Client;

/// <summary>What happened to a row of a subscription's result.</summary>
public enum ChangeKind
{
    /// <summary>A row entered the result.</summary>
    Insert,

    /// <summary>A row of the result changed (same row id).</summary>
    Update,

    /// <summary>A row left the result.</summary>
    Delete,
}
