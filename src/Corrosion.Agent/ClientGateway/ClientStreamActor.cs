using Akka.Actor;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Agent.ClientGateway;

/// <summary>
/// One stream to a client's actor (a query, a subscription listener, a table watch), a child of the
/// gateway. Flow control is a bounded window: at most <c>akka_api.window</c> numbered batches travel
/// ahead of the receiver's last <see cref="StreamAck"/>; with the window full for <c>akka_api.ack_timeout</c>
/// the receiver is cut off (<see cref="ClientErrorCode.TooSlow"/>). The stream watches its receiver, so
/// a receiver that stops, or whose system disconnects or is quarantined, ends the stream and frees
/// what it held (the subclass's <c>PostStop</c>).
/// </summary>
internal abstract class ClientStreamActor : UntypedActor, IWithTimers
{
    private const string AckTimer = "ack-timeout";
    private readonly int _window;
    private readonly TimeSpan _ackTimeout;
    private long _sent;
    private long _acked;

    protected ClientStreamActor(IActorRef receiver, ClientStreamSettings settings)
    {
        Receiver = receiver;
        Settings = settings;
        _window = settings.Window;
        _ackTimeout = settings.AckTimeout;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected IActorRef Receiver { get; }

    protected ClientStreamSettings Settings { get; }

    /// <summary>True while another numbered batch may be sent.</summary>
    protected bool HasRoom => _sent - _acked < _window;

    protected override void PreStart() => Context.Watch(Receiver);

    protected sealed override void OnReceive(object message)
    {
        switch (message)
        {
            case StreamAck ack:
                OnAck(ack);
                break;
            case CancelStream:
                Context.Stop(Self);
                break;
            case AckTimedOut:
                Fail(new ClientError(
                    ClientErrorCode.TooSlow,
                    $"no acknowledgement for {_ackTimeout.TotalSeconds:0.###} s with {_window} batches unacknowledged: the receiver was cut off; resume from the last change id it processed"));
                break;
            case Terminated t when t.ActorRef.Equals(Receiver):
                Context.Stop(Self);
                break;
            default:
                if (!OnStreamMessage(message))
                {
                    Unhandled(message);
                }

                break;
        }
    }

    /// <summary>A message of the subclass's own; false when it is not one (it is then unhandled).</summary>
    protected virtual bool OnStreamMessage(object message) => false;

    /// <summary>Sends what the window allows; called again after every acknowledgement.</summary>
    protected abstract void Pump();

    /// <summary>Sends the next numbered batch built by <paramref name="batch"/> from its number.</summary>
    protected void SendBatch(Func<long, IClientMessage> batch)
    {
        _sent++;
        Receiver.Tell(batch(_sent), Self);
        if (!HasRoom)
        {
            Timers.StartSingleTimer(AckTimer, AckTimedOut.Instance, _ackTimeout);
        }
    }

    /// <summary>Sends a message outside the window (start and end marks).</summary>
    protected void Send(IClientMessage message) => Receiver.Tell(message, Self);

    /// <summary>Tells the receiver why the stream ends, and ends it.</summary>
    protected void Fail(ClientError error)
    {
        Receiver.Tell(error, Self);
        Context.Stop(Self);
    }

    private void OnAck(StreamAck ack)
    {
        if (ack.Seq <= _acked || ack.Seq > _sent)
        {
            return;
        }

        _acked = ack.Seq;
        Timers.Cancel(AckTimer);
        Pump();
    }

    private sealed class AckTimedOut
    {
        public static readonly AckTimedOut Instance = new();
    }
}
