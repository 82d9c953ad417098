namespace Corrosion.Simulation;

/// <summary>Deterministic simulation of many nodes on virtual time (filled in by the membership issue).</summary>
internal static class SimulationMarker
{
}
