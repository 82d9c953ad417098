namespace Corrosion.Agent.Api;

/// <summary>The reader of a streaming answer fell behind its minimum data rate; the stream ends with an error line.</summary>
internal sealed class StreamStalledException : Exception
{
    public StreamStalledException()
    {
    }

    public StreamStalledException(string message)
        : base(message)
    {
    }

    public StreamStalledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
