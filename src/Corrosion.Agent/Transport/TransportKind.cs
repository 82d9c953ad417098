namespace Corrosion.Agent.Transport;

/// <summary>Which gossip transport to run (<c>gossip.transport</c>).</summary>
public enum TransportKind
{
    /// <summary>QUIC when the platform supports it, else TCP.</summary>
    Auto = 0,
    /// <summary>QUIC (System.Net.Quic, needs libmsquic).</summary>
    Quic = 1,
    /// <summary>TCP, with TLS unless plaintext is allowed.</summary>
    Tcp = 2,
}
