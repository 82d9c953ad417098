using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Actors;

/// <summary>Everything an <see cref="ActorSystem"/> takes from outside: time, logging, chance and defaults.</summary>
public sealed record ActorSystemOptions
{
    /// <summary>Clock for timers, restart backoff and ask timeouts. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where actors and the kernel log. Default: no logging.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Seed of the Random used for backoff jitter, so runs are reproducible. Default 0.</summary>
    public int RandomSeed { get; init; }

    /// <summary>Mailbox of actors spawned without explicit options.</summary>
    public MailboxOptions DefaultMailbox { get; init; } = MailboxOptions.Default;

    /// <summary>How the user guardian supervises top-level actors. An escalation from it stops the system.</summary>
    public SupervisorStrategy GuardianStrategy { get; init; } = SupervisorStrategy.Default;
}
