using System.Runtime.InteropServices;

namespace Corrosion.Chaos.Network;

/// <summary>kill(2) for the signals .NET's Process does not send: SIGSTOP and SIGCONT (and SIGKILL by id).</summary>
public static partial class ProcessSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Sends a signal; false when the process no longer exists.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
