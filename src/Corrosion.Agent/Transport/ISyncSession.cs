using System.Net;

namespace Corrosion.Agent.Transport;

/// <summary>
/// One sync exchange with a peer: ordered frames in both directions. One sender and one receiver
/// may use it at the same time. A malformed or oversized frame fails <see cref="ReceiveAsync"/>
/// with <see cref="InvalidDataException"/> and ends the session, never the node.
/// </summary>
public interface ISyncSession : IAsyncDisposable
{
    /// <summary>The peer (its gossip address when known).</summary>
    EndPoint Remote { get; }

    /// <summary>Sends one whole frame; fails after the send timeout.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct);

    /// <summary>The next whole frame, or null once the peer has completed its side; fails after the idle timeout.</summary>
    ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken ct);

    /// <summary>Ends this side's sending; the peer's <see cref="ReceiveAsync"/> then returns null.</summary>
    ValueTask CompleteAsync();
}
