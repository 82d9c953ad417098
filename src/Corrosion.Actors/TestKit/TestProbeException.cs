namespace Corrosion.Actors.TestKit;

/// <summary>A <see cref="TestProbe{T}"/> expectation was not met.</summary>
public sealed class TestProbeException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public TestProbeException()
        : base("Test probe expectation failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TestProbeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TestProbeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
