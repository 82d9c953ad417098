namespace Corrosion.Client.Akka.Protocol;

/// <summary>The node's health figures (HTTP's <c>GET /v1/health</c>); answered with <see cref="HealthResult"/>.</summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
public sealed record GetHealth(string? Token) : IClientRequest;
