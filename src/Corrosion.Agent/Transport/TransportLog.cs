using System.Net;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Transport;

/// <summary>Source-generated log messages of the transports.</summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "gossip transport {Kind} listening on {EndPoint} ({Security})")]
    public static partial void Listening(ILogger logger, string kind, EndPoint endPoint, string security);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "gossip transport: {Kind} chosen because {Reason}")]
    public static partial void Chosen(ILogger logger, TransportKind kind, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "gossip: NO TLS CERTIFICATE CONFIGURED. gossip runs with a self-signed certificate and accepts ANY peer certificate; traffic is encrypted but peers are NOT authenticated. Configure gossip.tls.cert_file, key_file and ca_file (see `corrosion tls`).")]
    public static partial void SelfSignedCertificate(ILogger logger);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "gossip: plaintext TCP (gossip.plaintext = true): traffic is neither encrypted nor authenticated")]
    public static partial void PlaintextWarning(ILogger logger);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "gossip link to {Peer} failed; retrying in {Delay}")]
    public static partial void LinkFailed(ILogger logger, EndPoint peer, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "gossip stream from {Remote} closed: {Reason}")]
    public static partial void StreamClosed(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "gossip: refused TLS peer {Remote}: {Reason}")]
    public static partial void TlsPeerRefused(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "gossip: certificates reloaded from {CertFile} (subject {Subject}, valid until {NotAfter:u}); new handshakes use them, open links are kept")]
    public static partial void CertificatesReloaded(ILogger logger, string certFile, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "gossip: reloading certificates failed, the previous ones stay in use: {Reason}")]
    public static partial void CertificateReloadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Debug, Message = "gossip inbound connection from {Remote} ended")]
    public static partial void InboundEnded(ILogger logger, EndPoint? remote, Exception exception);
}
