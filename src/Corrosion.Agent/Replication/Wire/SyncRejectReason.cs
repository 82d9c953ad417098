namespace Corrosion.Agent.Replication.Wire;

/// <summary>Why a peer refuses a sync session. Values are part of the wire format.</summary>
public enum SyncRejectReason : byte
{
    /// <summary>Not given.</summary>
    Unspecified = 0,
    /// <summary>The peer already serves as many sync sessions as it allows.</summary>
    Busy = 1,
    /// <summary>The peer belongs to another cluster.</summary>
    WrongCluster = 2,
    /// <summary>The request could not be understood.</summary>
    BadRequest = 3,
    /// <summary>The peer is shutting down.</summary>
    ShuttingDown = 4,
}
