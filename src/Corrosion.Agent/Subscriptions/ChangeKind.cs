namespace Corrosion.Agent.Subscriptions;

/// <summary>What happened to a row of a subscription's result.</summary>
public enum ChangeKind
{
    /// <summary>A row entered the result.</summary>
    Insert,

    /// <summary>A row's cells changed.</summary>
    Update,

    /// <summary>A row left the result.</summary>
    Delete,
}
