namespace Corrosion.Agent.Storage;

/// <summary>A range of versions of one actor.</summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Versions">The versions.</param>
public readonly record struct ActorVersions(ActorId Actor, VersionRange Versions);
