using System.Threading.Channels;
using Akka.Actor;
using Akka.Remote;

namespace Corrosion.Client.Akka;

/// <summary>
/// A temporary actor in the client's system that receives one stream from a node (query rows,
/// subscription batches) into a channel the caller reads. Its channel grows by at most the node's
/// window, because the caller acknowledges a batch only once it has consumed it. It reports the loss
/// of the connection to the node (Akka.Remote's disassociation or quarantine) as <see cref="ConnectionLost"/>.
/// Dispose to stop the actor: the node watches it and frees the stream.
/// </summary>
internal sealed class StreamReceiver : IDisposable
{
    private readonly ActorSystem _system;
    private readonly Channel<Received> _channel = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true });

    public StreamReceiver(ActorSystem system, Address node)
    {
        _system = system;
        Ref = system.ActorOf(Props.Create(() => new ReceiverActor(_channel.Writer, node)));
    }

    public IActorRef Ref { get; }

    /// <summary>The next message and its sender; <see cref="ConnectionLost"/> when the node's connection is gone.</summary>
    /// <exception cref="TimeoutException">nothing arrived within <paramref name="timeout"/>.</exception>
    public async Task<Received> ReadAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (timeout is not { } limit)
        {
            return await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            return await _channel.Reader.ReadAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the node did not answer within {limit.TotalSeconds:0.###} s");
        }
    }

    public void Dispose() => _system.Stop(Ref);

    internal sealed record Received(object Message, IActorRef Sender);

    internal sealed record ConnectionLost(Address Node);

    private sealed class ReceiverActor : ReceiveActor
    {
        private readonly ChannelWriter<Received> _writer;

        public ReceiverActor(ChannelWriter<Received> writer, Address node)
        {
            _writer = writer;
            Receive<DisassociatedEvent>(e => e.RemoteAddress.Equals(node), _ => Lost(node));
            Receive<QuarantinedEvent>(e => e.Address.Equals(node), _ => Lost(node));
            Receive<RemotingLifecycleEvent>(_ => { });
            ReceiveAny(message => _writer.TryWrite(new Received(message, Sender)));
        }

        protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(RemotingLifecycleEvent));

        protected override void PostStop()
        {
            Context.System.EventStream.Unsubscribe(Self);
            _writer.TryComplete();
        }

        private void Lost(Address node) => _writer.TryWrite(new Received(new ConnectionLost(node), ActorRefs.Nobody));
    }
}
