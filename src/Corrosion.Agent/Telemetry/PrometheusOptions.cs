using Corrosion.Agent.Node;

namespace Corrosion.Agent.Telemetry;

/// <summary>The <c>telemetry.prometheus</c> section: <c>GET /metrics</c> in Prometheus text format.</summary>
public sealed record PrometheusOptions
{
    /// <summary>Serve <c>GET /metrics</c>; false records no metrics at all.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// A separate listen address (<c>host:port</c>) for <c>/metrics</c> only, served without bearer
    /// tokens, as Corrosion's <c>telemetry.prometheus.addr</c>; empty serves it on <c>api.addr</c>
    /// (with the API's tokens, scope read).
    /// </summary>
    public string Addr { get; init; } = "";

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (Addr.Length > 0 && !EndpointText.TryParse(Addr, out _))
        {
            throw new ArgumentException($"configuration key telemetry.prometheus.addr: \"{Addr}\" is not host:port");
        }
    }
}
