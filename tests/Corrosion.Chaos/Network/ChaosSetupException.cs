namespace Corrosion.Chaos.Network;

/// <summary>The harness could not build its network or start its nodes (not a finding about the node).</summary>
public sealed class ChaosSetupException : Exception
{
    public ChaosSetupException()
    {
    }

    public ChaosSetupException(string message)
        : base(message)
    {
    }

    public ChaosSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
