using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Corrosion.Agent.Membership;

/// <summary>
/// Which of our datagrams a host refused (ICMP port unreachable: nothing listens there, the member's process is
/// gone), read from a UDP socket's error queue. Linux reports ICMP errors on an unconnected UDP socket only with
/// <c>IP_RECVERR</c>/<c>IPV6_RECVERR</c>; then the next receive (or send) fails with <c>ECONNREFUSED</c> and
/// <c>recvmsg(MSG_ERRQUEUE)</c> gives, per error, the original destination and the host that answered. Only
/// refusals answered by the destination's own host count (a router's "unreachable" says nothing about the process).
/// Other systems: <see cref="Enable"/> returns false and nothing is reported.
/// </summary>
internal static unsafe class UdpRefusals
{
    private const int IpProtoIp = 0;
    private const int IpRecvErr = 11;
    private const int IpProtoIpv6 = 41;
    private const int Ipv6RecvErr = 25;
    private const int MsgDontWait = 0x40;
    private const int MsgErrQueue = 0x2000;
    private const byte OriginIcmp = 2;
    private const byte OriginIcmp6 = 3;
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int MaxPerDrain = 256;

    private static readonly delegate* unmanaged<int, MsgHdr*, int, nint> RecvMsg = Find();

    /// <summary>Asks the kernel to report ICMP errors on <paramref name="socket"/>; false where that is not available.</summary>
    public static bool Enable(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (RecvMsg == null)
        {
            return false;
        }

        try
        {
            var v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
            socket.SetRawSocketOption(v6 ? IpProtoIpv6 : IpProtoIp, v6 ? Ipv6RecvErr : IpRecvErr, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Empties the socket's error queue; adds the destinations whose own host refused a datagram.</summary>
    public static void Drain(Socket socket, List<NodeAddress> refused)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(refused);
        if (RecvMsg == null)
        {
            return;
        }

        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var name = stackalloc byte[128];
            var control = stackalloc byte[512];
            var data = stackalloc byte[64];
            for (var i = 0; i < MaxPerDrain; i++)
            {
                var iov = new IoVec { Base = data, Length = 64 };
                var msg = new MsgHdr { Name = name, NameLength = 128, Iov = &iov, IovLength = 1, Control = control, ControlLength = 512 };
                if (RecvMsg(fd, &msg, MsgErrQueue | MsgDontWait) < 0)
                {
                    return;
                }

                if (Parse(new ReadOnlySpan<byte>(name, (int)msg.NameLength), new ReadOnlySpan<byte>(control, (int)msg.ControlLength)) is { } to)
                {
                    refused.Add(to);
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// One error-queue entry: the original destination (<paramref name="name"/>, a sockaddr) and the control
    /// messages; the destination if the entry is a port-unreachable answered by the destination's host, else null.
    /// </summary>
    internal static NodeAddress? Parse(ReadOnlySpan<byte> name, ReadOnlySpan<byte> control)
    {
        if (SockAddr(name) is not { } destination)
        {
            return null;
        }

        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then data, aligned to size_t.
        var header = sizeof(nuint) + 8;
        var offset = 0;
        while (offset + header <= control.Length)
        {
            var length = (int)MemoryMarshal.Read<nuint>(control[offset..]);
            if (length < header || offset + length > control.Length)
            {
                return null;
            }

            var level = MemoryMarshal.Read<int>(control[(offset + sizeof(nuint))..]);
            var type = MemoryMarshal.Read<int>(control[(offset + sizeof(nuint) + 4)..]);
            if ((level, type) is (IpProtoIp, IpRecvErr) or (IpProtoIpv6, Ipv6RecvErr))
            {
                return Refused(control[(offset + header)..(offset + length)], destination);
            }

            offset += (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);
        }

        return null;
    }

    // struct sock_extended_err { u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info; u32 ee_data; }
    // followed by the offender's sockaddr (the host that sent the ICMP error).
    private static NodeAddress? Refused(ReadOnlySpan<byte> error, NodeAddress destination)
    {
        if (error.Length < 16)
        {
            return null;
        }

        var origin = error[4];
        var icmpType = error[5];
        var code = error[6];
        var portUnreachable = (origin == OriginIcmp && icmpType == 3 && code == 3) || (origin == OriginIcmp6 && icmpType == 1 && code == 4);
        if (!portUnreachable || SockAddr(error[16..]) is not { } offender)
        {
            return null;
        }

        return offender.Host.Equals(destination.Host) ? destination : null;
    }

    private static NodeAddress? SockAddr(ReadOnlySpan<byte> sockaddr)
    {
        if (sockaddr.Length < 8)
        {
            return null;
        }

        var family = MemoryMarshal.Read<ushort>(sockaddr);
        var port = (sockaddr[2] << 8) | sockaddr[3];
        if (family == AfInet)
        {
            return new NodeAddress(new IPAddress(sockaddr.Slice(4, 4)), port);
        }

        if (family == AfInet6 && sockaddr.Length >= 28)
        {
            var host = new IPAddress(sockaddr.Slice(8, 16), MemoryMarshal.Read<uint>(sockaddr[24..]));
            return new NodeAddress(host.IsIPv4MappedToIPv6 ? host.MapToIPv4() : host, port);
        }

        return null;
    }

    private static delegate* unmanaged<int, MsgHdr*, int, nint> Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)
            || !NativeLibrary.TryGetExport(libc, "recvmsg", out var address))
        {
            return null;
        }

        return (delegate* unmanaged<int, MsgHdr*, int, nint>)address;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
