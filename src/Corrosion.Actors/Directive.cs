namespace Corrosion.Actors;

/// <summary>A supervisor's decision about a failed child.</summary>
public enum Directive
{
    /// <summary>Replace the child with a fresh instance (after backoff); its mailbox is kept, the failing message dropped.</summary>
    Restart,

    /// <summary>Keep the instance and its state; drop the failing message and go on.</summary>
    Resume,

    /// <summary>Stop the child for good; watchers see <see cref="Terminated"/> with the cause.</summary>
    Stop,

    /// <summary>Fail the supervisor itself with the same exception, letting its own parent decide.</summary>
    Escalate,
}
