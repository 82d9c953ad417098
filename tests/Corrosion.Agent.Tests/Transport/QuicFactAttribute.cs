using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>A fact that runs only where QUIC can run; elsewhere it reports SKIPPED with the reason.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class QuicFactAttribute : FactAttribute
{
    public QuicFactAttribute()
    {
        if (!GossipTransportFactory.IsQuicSupported())
        {
            Skip = GossipTransportFactory.QuicUnavailableReason;
        }
    }
}
