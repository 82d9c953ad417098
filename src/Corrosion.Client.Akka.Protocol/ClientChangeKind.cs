namespace Corrosion.Client.Akka.Protocol;

/// <summary>What happened to a row of a subscription's result.</summary>
public enum ClientChangeKind
{
    /// <summary>A row entered the result.</summary>
    Insert = 1,

    /// <summary>A row of the result changed.</summary>
    Update = 2,

    /// <summary>A row left the result.</summary>
    Delete = 3,
}
