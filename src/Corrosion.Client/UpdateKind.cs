namespace Corrosion.Client;

/// <summary>What happened to a row of a watched table.</summary>
public enum UpdateKind
{
    /// <summary>The row was inserted or changed.</summary>
    Update,

    /// <summary>The row was deleted.</summary>
    Delete,
}
