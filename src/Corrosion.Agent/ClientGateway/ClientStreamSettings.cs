using Corrosion.Agent.Node;

namespace Corrosion.Agent.ClientGateway;

/// <summary>Batch size and window of the gateway's streams (from <see cref="AkkaApiOptions"/>).</summary>
/// <param name="BatchRows">Rows or changes per batch.</param>
/// <param name="Window">Batches ahead of the last acknowledgement.</param>
/// <param name="AckTimeout">How long a full window may wait for an acknowledgement.</param>
internal sealed record ClientStreamSettings(int BatchRows, int Window, TimeSpan AckTimeout)
{
    public static ClientStreamSettings From(AkkaApiOptions options) => new(options.BatchRows, options.Window, options.AckTimeout);
}
