using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Corrosion.Agent.Membership;

/// <summary>
/// A member's gossip address (host:port). Names are resolved by the shell before they reach the core,
/// so this is always an IP address.
/// </summary>
/// <param name="Host">The IP address.</param>
/// <param name="Port">The UDP port.</param>
public readonly record struct NodeAddress(IPAddress Host, int Port)
{
    /// <summary>Makes an address from an endpoint.</summary>
    public static NodeAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new NodeAddress(endPoint.Address, endPoint.Port);
    }

    /// <summary>Parses <c>1.2.3.4:5</c> or <c>[::1]:5</c>.</summary>
    public static NodeAddress Parse(string text) => FromEndPoint(IPEndPoint.Parse(text));

    /// <summary>Parses an address without throwing.</summary>
    public static bool TryParse(string? text, out NodeAddress address)
    {
        if (IPEndPoint.TryParse(text ?? string.Empty, out var endPoint))
        {
            address = FromEndPoint(endPoint);
            return true;
        }

        address = default;
        return false;
    }

    /// <summary>Whether this holds an address (the default value does not).</summary>
    public bool IsSpecified => Host is not null;

    /// <summary>The address as an endpoint, for sockets.</summary>
    public IPEndPoint ToEndPoint() => new(Host, Port);

    /// <inheritdoc />
    public override string ToString() => Host is null
        ? "(none)"
        : Host.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}
