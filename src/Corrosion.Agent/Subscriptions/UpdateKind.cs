namespace Corrosion.Agent.Subscriptions;

/// <summary>What happened to a watched key.</summary>
public enum UpdateKind
{
    /// <summary>The row was inserted or changed.</summary>
    Update,

    /// <summary>The row was deleted.</summary>
    Delete,
}
