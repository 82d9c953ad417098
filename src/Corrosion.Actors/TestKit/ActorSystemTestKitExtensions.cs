namespace Corrosion.Actors.TestKit;

/// <summary>Test kit shortcuts on <see cref="ActorSystem"/>.</summary>
public static class ActorSystemTestKitExtensions
{
    /// <summary>Creates a <see cref="TestProbe{T}"/> in the system.</summary>
    /// <typeparam name="T">The messages the probe accepts.</typeparam>
    /// <param name="system">The system.</param>
    /// <param name="name">Optional name, part of the probe's path.</param>
    /// <returns>The probe.</returns>
    public static TestProbe<T> CreateTestProbe<T>(this ActorSystem system, string? name = null)
        where T : notnull => new(system, name);
}
