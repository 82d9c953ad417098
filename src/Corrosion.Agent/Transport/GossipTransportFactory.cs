using System.Net.Quic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Transport;

/// <summary>Picks and makes the gossip transport named by <c>gossip.transport</c>, and logs which and why.</summary>
public static class GossipTransportFactory
{
    /// <summary>The reason QUIC is unavailable on a platform without libmsquic.</summary>
    public const string QuicUnavailableReason = "libmsquic not found";

    /// <summary>Makes the transport <paramref name="options"/> ask for.</summary>
    /// <exception cref="PlatformNotSupportedException"><c>quic</c> was asked for where QUIC cannot run.</exception>
    public static IGossipTransport Create(TransportOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        var logger = factory.CreateLogger("Corrosion.Agent.Transport");
        // gossip.transport = tcp never asks: the question alone loads System.Net.Quic and initialises TLS.
        var (kind, reason) = Choose(options.Transport, options.Transport != TransportKind.Tcp && IsQuicSupported());
        TransportLog.Chosen(logger, kind, reason);
        if (kind == TransportKind.Quic && (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()))
        {
            return new QuicGossipTransport(options, factory.CreateLogger<QuicGossipTransport>(), time, random);
        }

        return new TcpGossipTransport(options, factory.CreateLogger<TcpGossipTransport>(), time, random);
    }

    /// <summary>True when QUIC can run here.</summary>
    public static bool IsQuicSupported() =>
        (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() || (OperatingSystem.IsLinux() && MsQuicLoadable()))
        && IsQuicSupportedByRuntime();

    // Apart, so that System.Net.Quic is loaded (with OpenSSL, several MiB of an idle node) only when
    // libmsquic is there to be used: JIT-compiling this body loads it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("windows")]
    [SupportedOSPlatform("macos")]
    private static bool IsQuicSupportedByRuntime() => QuicConnection.IsSupported && QuicListener.IsSupported;

    /// <summary>
    /// Whether libmsquic can be loaded as System.Net.Quic loads it on Linux (libmsquic.so.2, then
    /// libmsquic.so, from the runtime's directory or the system's search path). Without it QUIC is
    /// unsupported whatever else holds, so the runtime's own check is skipped.
    /// </summary>
    private static bool MsQuicLoadable()
    {
        foreach (var name in (ReadOnlySpan<string>)["libmsquic.so.2", "libmsquic.so"])
        {
            if (NativeLibrary.TryLoad(name, typeof(object).Assembly, DllImportSearchPath.AssemblyDirectory, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The transport to run and why, for a request and a platform.</summary>
    /// <exception cref="PlatformNotSupportedException"><c>quic</c> was asked for where QUIC cannot run.</exception>
    public static (TransportKind Kind, string Reason) Choose(TransportKind requested, bool quicSupported) => requested switch
    {
        TransportKind.Tcp => (TransportKind.Tcp, "gossip.transport = tcp"),
        TransportKind.Quic when quicSupported => (TransportKind.Quic, "gossip.transport = quic"),
        TransportKind.Quic => throw new PlatformNotSupportedException(
            $"gossip.transport = quic, but QUIC cannot run here: {QuicUnavailableReason}; install libmsquic or set gossip.transport = tcp (or auto)"),
        _ when quicSupported => (TransportKind.Quic, "gossip.transport = auto and QUIC is supported here"),
        _ => (TransportKind.Tcp, $"gossip.transport = auto and QUIC is not supported here ({QuicUnavailableReason})"),
    };
}
