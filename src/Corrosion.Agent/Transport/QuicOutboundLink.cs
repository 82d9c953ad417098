using System.Net.Quic;
using System.Runtime.Versioning;

namespace Corrosion.Agent.Transport;

/// <summary>A broadcast link over a cached QUIC connection: each batch goes on its own unidirectional stream.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal sealed class QuicOutboundLink(QuicConnection connection, ReadOnlyMemory<byte> preface, Action evict) : IOutboundLink
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Closed => _closed.Task;

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> batch, CancellationToken ct)
    {
        try
        {
            await using var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Unidirectional, ct);
            await stream.WriteAsync(preface, ct); // names our gossip address, as on TCP
            await stream.WriteAsync(batch, completeWrites: true, ct);
        }
        catch (QuicException)
        {
            // The connection is broken: forget it so the next link dials again.
            evict();
            _closed.TrySetResult();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        _closed.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
