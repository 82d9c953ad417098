using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Corrosion.Agent.Telemetry;

/// <summary>
/// Wires the node's meters and spans to OpenTelemetry in the API's web application: the Prometheus
/// exporter behind <c>GET /metrics</c> (on <c>api.addr</c>, or only on <c>telemetry.prometheus.addr</c>
/// when set), and the OTLP trace exporter when <c>telemetry.otlp.endpoint</c> is set.
/// </summary>
public static class TelemetryHosting
{
    /// <summary>The scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Registers the meter and tracer providers the options ask for.</summary>
    public static void AddTelemetry(IServiceCollection services, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Prometheus.Enabled && !options.Otlp.IsEnabled)
        {
            return;
        }

        StorageMetrics.Touch();
        ReplicationMetrics.Touch();
        MembershipMetrics.Touch();
        SubscriptionMetrics.Touch();
        var telemetry = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(options.Otlp.ServiceName));
        if (options.Prometheus.Enabled)
        {
            services.AddMetrics();
            telemetry.WithMetrics(metrics => metrics
                .AddMeter([.. CorrosionTelemetry.Meters])
                .AddView(instrument => CorrosionTelemetry.CardinalityLimit(instrument) is { } limit
                    ? new MetricStreamConfiguration { CardinalityLimit = limit }
                    : null)
                .AddPrometheusExporter(prometheus =>
                {
                    // Each scrape sees the figures of that moment (the exporter caches 300 ms by default).
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                }));
        }

        if (options.Otlp.IsEnabled)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(CorrosionTelemetry.ActivitySourceName)
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                .AddOtlpExporter(otlp =>
                {
                    otlp.Protocol = options.Otlp.Protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                    var endpoint = options.Otlp.Endpoint.TrimEnd('/');
                    // With http/protobuf an endpoint given without a path gets the traces path, as the OTEL_ variables do.
                    otlp.Endpoint = new Uri(otlp.Protocol == OtlpExportProtocol.HttpProtobuf && new Uri(endpoint).AbsolutePath == "/" ? endpoint + "/v1/traces" : endpoint);
                }));
        }
    }

    /// <summary>Serves <c>GET /metrics</c> at this point of the pipeline (when Prometheus is enabled).</summary>
    /// <param name="app">The API's application, before its routes.</param>
    /// <param name="options">The telemetry options.</param>
    public static void UseMetricsEndpoint(WebApplication app, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Prometheus.Enabled)
        {
            return;
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: http => http.Request.Path == MetricsPath && HttpMethods.IsGet(http.Request.Method),
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
    }
}
