namespace Corrosion.Actors;

/// <summary>An untyped view of an actor reference, used for death watch and <see cref="Terminated"/>.</summary>
public interface IActorRef
{
    /// <summary>The actor's full path, e.g. <c>corrosion://node/user/storage</c>.</summary>
    string Path { get; }
}
