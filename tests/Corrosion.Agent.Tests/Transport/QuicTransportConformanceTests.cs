using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>The conformance suite over QUIC; reports SKIPPED ("libmsquic not found") where QUIC cannot run.</summary>
public sealed class QuicTransportConformanceTests : TransportConformance
{
    protected override TransportOptions BaseOptions => base.BaseOptions with { Transport = TransportKind.Quic };

    // One unidirectional stream per batch: batches may overtake each other.
    protected override bool OrdersAcrossBatches => false;

    protected override IGossipTransport Create(TransportOptions options)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
        {
            return new QuicGossipTransport(options, random: new Random(1));
        }

        throw new PlatformNotSupportedException();
    }

    protected override (EndPoint EndPoint, IDisposable Holder) Blackhole()
    {
        // A bound UDP port that never answers a QUIC handshake.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (socket.LocalEndPoint!, socket);
    }

    [QuicFact]
    public Task Quic_Frames_arrive_whole_and_in_order_per_link() => Frames_arrive_whole_and_in_order_per_link();

    [QuicFact]
    public Task Quic_Frames_name_the_senders_gossip_address() => Frames_name_the_senders_gossip_address();

    [QuicFact]
    public Task Quic_Frames_near_the_maximum_size_arrive_whole() => Frames_near_the_maximum_size_arrive_whole();

    [QuicFact]
    public Task Quic_Frame_over_the_maximum_is_refused_by_the_sender() => Frame_over_the_maximum_is_refused_by_the_sender();

    [QuicFact]
    public Task Quic_Frame_over_the_maximum_closes_that_stream_and_the_node_carries_on() => Frame_over_the_maximum_closes_that_stream_and_the_node_carries_on();

    [QuicFact]
    public Task Quic_Many_peers_sending_at_once_all_arrive_in_order_per_peer() => Many_peers_sending_at_once_all_arrive_in_order_per_peer();

    [QuicFact]
    public Task Quic_Link_reconnects_after_the_peer_restarts_on_the_same_port() => Link_reconnects_after_the_peer_restarts_on_the_same_port();

    [QuicFact]
    public Task Quic_Session_to_a_peer_that_never_answers_times_out_within_the_connect_timeout() => Session_to_a_peer_that_never_answers_times_out_within_the_connect_timeout();

    [QuicFact]
    public Task Quic_Frames_to_a_peer_that_never_answers_count_connect_failures_and_never_block() => Frames_to_a_peer_that_never_answers_count_connect_failures_and_never_block();

    [QuicFact]
    public Task Quic_Frame_of_another_cluster_is_dropped_and_counted() => Frame_of_another_cluster_is_dropped_and_counted();

    [QuicFact]
    public Task Quic_Sync_session_carries_a_request_and_its_answer_both_ways() => Sync_session_carries_a_request_and_its_answer_both_ways();

    [QuicFact]
    public Task Quic_Idle_link_sends_a_lone_frame_at_once_in_its_own_write() => Idle_link_sends_a_lone_frame_at_once_in_its_own_write();

    [QuicFact]
    public Task Quic_Connect_opens_the_link_before_the_first_frame_which_then_uses_it() => Connect_opens_the_link_before_the_first_frame_which_then_uses_it();

    [QuicFact]
    public Task Quic_Busy_link_coalesces_queued_frames_into_few_writes() => Busy_link_coalesces_queued_frames_into_few_writes();

    [QuicFact]
    public Task Quic_Bytes_that_are_not_one_whole_frame_are_refused_before_they_reach_a_link() => Bytes_that_are_not_one_whole_frame_are_refused_before_they_reach_a_link();
}
