using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Transport;

/// <summary>The conformance suite over plaintext TCP (TLS has its own tests).</summary>
public sealed class TcpTransportConformanceTests : TransportConformance
{
    protected override TransportOptions BaseOptions => base.BaseOptions with { Transport = TransportKind.Tcp, Plaintext = true };

    protected override IGossipTransport Create(TransportOptions options) => new TcpGossipTransport(options, random: new Random(1));

    protected override (EndPoint EndPoint, IDisposable Holder) Blackhole()
    {
        // Listens (so connects complete in the kernel) but never accepts, reads or answers.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(16);
        return (socket.LocalEndPoint!, socket);
    }

    [Fact]
    public Task Tcp_Frames_arrive_whole_and_in_order_per_link() => Frames_arrive_whole_and_in_order_per_link();

    [Fact]
    public Task Tcp_Frames_name_the_senders_gossip_address() => Frames_name_the_senders_gossip_address();

    [Fact]
    public Task Tcp_Frames_near_the_maximum_size_arrive_whole() => Frames_near_the_maximum_size_arrive_whole();

    [Fact]
    public Task Tcp_Frame_over_the_maximum_is_refused_by_the_sender() => Frame_over_the_maximum_is_refused_by_the_sender();

    [Fact]
    public Task Tcp_Frame_over_the_maximum_closes_that_stream_and_the_node_carries_on() => Frame_over_the_maximum_closes_that_stream_and_the_node_carries_on();

    [Fact]
    public Task Tcp_Many_peers_sending_at_once_all_arrive_in_order_per_peer() => Many_peers_sending_at_once_all_arrive_in_order_per_peer();

    [Fact]
    public Task Tcp_Link_reconnects_after_the_peer_restarts_on_the_same_port() => Link_reconnects_after_the_peer_restarts_on_the_same_port();

    [Fact]
    public Task Tcp_Session_to_a_peer_that_never_answers_times_out_within_the_connect_timeout() => Session_to_a_peer_that_never_answers_times_out_within_the_connect_timeout();

    [Fact]
    public Task Tcp_Frames_to_a_peer_that_never_answers_count_connect_failures_and_never_block() => Frames_to_a_peer_that_never_answers_count_connect_failures_and_never_block();

    [Fact]
    public Task Tcp_Frame_of_another_cluster_is_dropped_and_counted() => Frame_of_another_cluster_is_dropped_and_counted();

    [Fact]
    public Task Tcp_Sync_session_carries_a_request_and_its_answer_both_ways() => Sync_session_carries_a_request_and_its_answer_both_ways();

    [Fact]
    public Task Tcp_Idle_link_sends_a_lone_frame_at_once_in_its_own_write() => Idle_link_sends_a_lone_frame_at_once_in_its_own_write();

    [Fact]
    public Task Tcp_Connect_opens_the_link_before_the_first_frame_which_then_uses_it() => Connect_opens_the_link_before_the_first_frame_which_then_uses_it();

    [Fact]
    public Task Tcp_Busy_link_coalesces_queued_frames_into_few_writes() => Busy_link_coalesces_queued_frames_into_few_writes();

    [Fact]
    public Task Tcp_Bytes_that_are_not_one_whole_frame_are_refused_before_they_reach_a_link() => Bytes_that_are_not_one_whole_frame_are_refused_before_they_reach_a_link();
}
