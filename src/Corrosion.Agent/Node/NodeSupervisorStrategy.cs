using Corrosion.Actors;

namespace Corrosion.Agent.Node;

/// <summary>How the node supervises its actors.</summary>
internal static class NodeSupervisorStrategy
{
    public static SupervisorStrategy Create() => SupervisorStrategy.Default;
}
