namespace Corrosion.Actors.Internal;

/// <summary>Control traffic between cells; always handled before the next user message, even while suspended.</summary>
internal abstract class SystemMessage;

internal sealed class StopCommand(Exception? cause) : SystemMessage
{
    public Exception? Cause { get; } = cause;
}

internal sealed class RestartCommand(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;
}

internal sealed class ResumeCommand : SystemMessage
{
    public static ResumeCommand Instance { get; } = new();
}

internal sealed class SuspendCommand : SystemMessage
{
    public static SuspendCommand Instance { get; } = new();
}

internal sealed class ChildFailed(ActorCell child, Exception cause) : SystemMessage
{
    public ActorCell Child { get; } = child;

    public Exception Cause { get; } = cause;
}

internal sealed class ChildTerminated(ActorCell child) : SystemMessage
{
    public ActorCell Child { get; } = child;
}

internal sealed class DeathNotice(ActorCell actor, Exception? cause) : SystemMessage
{
    public ActorCell Actor { get; } = actor;

    public Exception? Cause { get; } = cause;
}

/// <summary>A backoff delay has passed: restart the targets (sent by the supervisor's timer to itself).</summary>
internal sealed class RestartDue(RestartHistory history, ActorCell[] targets, Exception cause) : SystemMessage
{
    public RestartHistory History { get; } = history;

    public ActorCell[] Targets { get; } = targets;

    public Exception Cause { get; } = cause;
}
