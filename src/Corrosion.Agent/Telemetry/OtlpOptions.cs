namespace Corrosion.Agent.Telemetry;

/// <summary>The <c>telemetry.otlp</c> section: traces exported with the OpenTelemetry protocol.</summary>
public sealed record OtlpOptions
{
    /// <summary>The collector's URL (<c>http://collector:4317</c>); empty exports no traces (and records none).</summary>
    public string Endpoint { get; init; } = "";

    /// <summary><c>grpc</c> (port 4317 by convention) or <c>http/protobuf</c> (4318, path <c>/v1/traces</c>).</summary>
    public string Protocol { get; init; } = "grpc";

    /// <summary>The <c>service.name</c> resource attribute of the exported spans.</summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("service_name")]
    public string ServiceName { get; init; } = "corrosion";

    /// <summary>True when an endpoint is set.</summary>
    public bool IsEnabled => Endpoint.Length > 0;

    /// <summary>Checks the values.</summary>
    public void Validate()
    {
        if (Endpoint.Length > 0
            && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"configuration key telemetry.otlp.endpoint: \"{Endpoint}\" is not an http:// or https:// URL");
        }

        if (Protocol is not ("grpc" or "http/protobuf"))
        {
            throw new ArgumentException($"configuration key telemetry.otlp.protocol must be grpc or http/protobuf, got \"{Protocol}\"");
        }

        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            throw new ArgumentException("configuration key telemetry.otlp.service_name must not be empty");
        }
    }
}
