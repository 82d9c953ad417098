using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Telemetry;

/// <summary>The <c>telemetry</c> section: the Prometheus endpoint, OTLP traces, and the health figures' window.</summary>
public sealed record TelemetryOptions
{
    /// <summary>The <c>telemetry.prometheus</c> section.</summary>
    public PrometheusOptions Prometheus { get; init; } = new();

    /// <summary>The <c>telemetry.otlp</c> section.</summary>
    public OtlpOptions Otlp { get; init; } = new();

    /// <summary>How far back <c>/v1/health</c>'s <c>p99_lag</c> looks (replication lag of the changes applied in this window).</summary>
    [ConfigurationKeyName("lag_window")]
    public TimeSpan LagWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the key otherwise.</summary>
    /// <returns>This instance.</returns>
    public TelemetryOptions Validate()
    {
        Prometheus.Validate();
        Otlp.Validate();
        if (LagWindow <= TimeSpan.Zero || LagWindow > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"configuration key telemetry.lag_window must be between 0 and 1h, got {LagWindow}");
        }

        return this;
    }
}
