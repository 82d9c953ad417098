namespace Corrosion.Agent.Api;

/// <summary>Endpoint metadata: the scope a token needs to call it.</summary>
/// <param name="Scope">The least scope allowed.</param>
public sealed record RequiredScope(ApiScope Scope);
