namespace Corrosion.Agent.Replication.Wire;

/// <summary>The outcome of decoding one frame: a message, or an error with a reason.</summary>
/// <param name="Error">None when <see cref="Message"/> is set.</param>
/// <param name="Message">The decoded message, when successful.</param>
/// <param name="Header">The frame header, when at least the header could be read.</param>
/// <param name="Detail">A readable reason for the error (null on success).</param>
public readonly record struct DecodeResult(DecodeError Error, WireMessage? Message, FrameHeader Header, string? Detail)
{
    /// <summary>True when a message was decoded.</summary>
    public bool IsSuccess => Error == DecodeError.None && Message is not null;

    internal static DecodeResult Fail(DecodeError error, FrameHeader header, string detail) => new(error, null, header, detail);
}
