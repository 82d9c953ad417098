using System.Globalization;
using System.Net;

namespace Corrosion.Agent.Node;

/// <summary>Parses <c>host:port</c> addresses as written in configuration.</summary>
public static class EndpointText
{
    /// <summary>
    /// Parses an IP address with an explicit port (<c>127.0.0.1:8080</c>, <c>[::1]:8080</c>) or
    /// <c>localhost:port</c>. Port 0 means "pick a free one".
    /// </summary>
    public static bool TryParse(string? text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return false; // IPv6 needs brackets when a port follows
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            endPoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
