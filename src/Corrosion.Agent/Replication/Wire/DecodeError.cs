namespace Corrosion.Agent.Replication.Wire;

/// <summary>Why a frame could not be decoded.</summary>
public enum DecodeError
{
    /// <summary>Decoded.</summary>
    None = 0,
    /// <summary>Fewer bytes than the header or the length field announces.</summary>
    Truncated,
    /// <summary>The length field disagrees with the bytes given (too small, or bytes left over).</summary>
    LengthMismatch,
    /// <summary>The frame is larger than allowed.</summary>
    FrameTooLarge,
    /// <summary>The frame uses a format version this node does not speak (e.g. from a newer release).</summary>
    UnsupportedVersion,
    /// <summary>The frame belongs to another cluster.</summary>
    ForeignCluster,
    /// <summary>The kind byte names no known frame kind.</summary>
    UnknownKind,
    /// <summary>The payload is not a valid message of its kind.</summary>
    Malformed,
}
