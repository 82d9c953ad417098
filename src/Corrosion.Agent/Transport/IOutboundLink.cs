namespace Corrosion.Agent.Transport;

/// <summary>One established broadcast link to a peer, as <see cref="PeerOutbox"/> sees it.</summary>
internal interface IOutboundLink : IAsyncDisposable
{
    /// <summary>Writes a batch of whole frames.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> batch, CancellationToken ct);

    /// <summary>Completes when the peer has gone away (so the next frame goes over a fresh link).</summary>
    Task Closed { get; }
}
