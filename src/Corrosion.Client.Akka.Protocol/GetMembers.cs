namespace Corrosion.Client.Akka.Protocol;

/// <summary>The node's view of the cluster (HTTP's <c>GET /v1/members</c>); answered with <see cref="MembersResult"/>. Needs scope admin when tokens are configured.</summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
public sealed record GetMembers(string? Token) : IClientRequest;
