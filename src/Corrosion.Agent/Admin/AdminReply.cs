using System.Text.Json.Nodes;

namespace Corrosion.Agent.Admin;

/// <summary>Where a command writes its answer frames (the connection it came on).</summary>
public sealed class AdminReply
{
    private readonly Stream _stream;
    private readonly CancellationToken _cancellationToken;

    internal AdminReply(Stream stream, CancellationToken cancellationToken)
    {
        _stream = stream;
        _cancellationToken = cancellationToken;
    }

    /// <summary>A JSON value (the command's result).</summary>
    public Task JsonAsync(JsonNode? value) => AdminFrames.WriteAsync(_stream, new JsonObject { ["json"] = value }, _cancellationToken);

    /// <summary>A line for the operator.</summary>
    public Task LogAsync(string message) => AdminFrames.WriteAsync(_stream, new JsonObject { ["log"] = message }, _cancellationToken);

    /// <summary>How far a long command got.</summary>
    public Task ProgressAsync(long done, long total) =>
        AdminFrames.WriteAsync(_stream, new JsonObject { ["progress"] = new JsonObject { ["done"] = done, ["total"] = total } }, _cancellationToken);

    internal Task OkAsync() => AdminFrames.WriteAsync(_stream, new JsonObject { ["ok"] = true }, _cancellationToken);

    internal Task ErrorAsync(string message) => AdminFrames.WriteAsync(_stream, new JsonObject { ["error"] = message }, _cancellationToken);
}
