namespace Corrosion.Client;

/// <summary>HTTP client for a Corrosion node's API (filled in by the live-queries issue).</summary>
public sealed class CorrosionClient
{
}
