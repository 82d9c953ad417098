using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka;

/// <summary>The node refused or failed a request; <see cref="Error"/> says why (for a transaction, nothing was applied).</summary>
public sealed class CorrosionAkkaException : Exception
{
    /// <summary>Wraps the node's answer.</summary>
    public CorrosionAkkaException(ClientError error)
        : base(error?.Message)
    {
        Error = error ?? throw new ArgumentNullException(nameof(error));
    }

    /// <summary>Creates the exception without a node's answer (use the other constructor).</summary>
    public CorrosionAkkaException()
        : this(new ClientError(ClientErrorCode.Internal, "unknown failure"))
    {
    }

    /// <summary>Creates the exception with a message (code <see cref="ClientErrorCode.Internal"/>).</summary>
    public CorrosionAkkaException(string message)
        : this(new ClientError(ClientErrorCode.Internal, message))
    {
    }

    /// <summary>Creates the exception with a message and cause (code <see cref="ClientErrorCode.Unavailable"/>).</summary>
    public CorrosionAkkaException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new ClientError(ClientErrorCode.Unavailable, message);
    }

    /// <summary>The node's answer.</summary>
    public ClientError Error { get; }

    /// <summary>The kind of failure.</summary>
    public ClientErrorCode Code => Error.Code;
}
