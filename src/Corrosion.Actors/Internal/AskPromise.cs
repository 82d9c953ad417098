namespace Corrosion.Actors.Internal;

/// <summary>The temporary reply target of one ask: the first reply completes it, later ones are dead letters.</summary>
internal sealed class AskPromise<TReply> : IMessageTarget<TReply>, IAskPromise
    where TReply : notnull
{
    private readonly TaskCompletionSource<TReply> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly KeyValuePair<string, object?>[] tags;

    public AskPromise(ActorSystem system, string path)
    {
        System = system;
        Path = path;
        tags = [new("actor.system", system.Name), new("actor.path", path)];
        Ref = new ActorRef<TReply>(this);
    }

    public ActorRef<TReply> Ref { get; }

    public string Path { get; }

    public ActorSystem System { get; }

    public ActorCell? Cell => null;

    public Task<TReply> Task => completion.Task;

    public bool TryTell(TReply message)
    {
        if (completion.TrySetResult(message))
        {
            return true;
        }

        // Late (after timeout or cancellation) or duplicate reply.
        System.CountDeadLetter(tags);
        return false;
    }

    public void Tell(TReply message) => TryTell(message);

    public ValueTask<bool> TellAsync(TReply message, CancellationToken cancellationToken) => ValueTask.FromResult(TryTell(message));

    public void Fail(Exception exception) => completion.TrySetException(exception);

    public void Cancel(CancellationToken cancellationToken) => completion.TrySetCanceled(cancellationToken);
}
