using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Corrosion.Chaos.Network;
using Corrosion.Client;

namespace Corrosion.Chaos.Cluster;

/// <summary>
/// One <c>corrosion agent</c> process in its own network namespace (<c>ip netns exec</c> replaces
/// itself with the agent, so the process id is the agent's and signals reach it directly). Its
/// output goes to <c>node&lt;i&gt;.log</c> in its directory, across restarts; an exit the nemesis did
/// not cause is recorded as a crash.
/// </summary>
public sealed partial class ChaosNode : IAsyncDisposable
{
    private const int TailLines = 80;

    private readonly string _corrosionDll;
    private readonly Action<NodeCrash> _onCrash;
    private readonly Action<string> _log;
    private readonly NamespaceSockets _sockets;
    private readonly HttpClient _http;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private StreamWriter? _output;
    private Process? _process;
    private TaskCompletionSource<Uri>? _listening;
    private bool _exitExpected;
    private int _starts;
    private int _errorLines;

    public ChaosNode(int index, string namespaceName, IPAddress address, string directory, string corrosionDll, Action<NodeCrash> onCrash, Action<string> log)
    {
        Index = index;
        Namespace = namespaceName;
        Address = address;
        Directory = directory;
        _corrosionDll = corrosionDll;
        _onCrash = onCrash;
        _log = log;
        ConfigPath = Path.Combine(directory, "node.conf");
        LogPath = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"node{index}.log"));
        _sockets = new NamespaceSockets(namespaceName);
        // Writes may take a while under faults; each call carries its own deadline.
        _http = new HttpClient(_sockets.CreateHandler()) { BaseAddress = new Uri("http://127.0.0.1:8080/"), Timeout = Timeout.InfiniteTimeSpan };
        Client = new CorrosionClient(_http) { ReadRetry = RetryPolicy.None };
    }

    public int Index { get; }

    public string Namespace { get; }

    public IPAddress Address { get; }

    public string Directory { get; }

    public string ConfigPath { get; }

    public string LogPath { get; }

    /// <summary>The node's API (on the loopback of its namespace).</summary>
    public CorrosionClient Client { get; }

    public NodeState State { get; private set; } = NodeState.NotStarted;

    /// <summary>Log lines at error or critical level so far (all starts).</summary>
    public int ErrorLines => Volatile.Read(ref _errorLines);

    public int? ProcessId => _process?.Id;

    /// <summary>The last lines the agent printed.</summary>
    public string Tail
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>Starts the agent and waits until its API listens.</summary>
    public async Task StartAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (State is NodeState.Running or NodeState.Paused)
        {
            throw new InvalidOperationException($"node {Index} is already running");
        }

        _starts++;
        _output ??= new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        await _output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"===== chaos: start {_starts} of node {Index} at {DateTime.UtcNow:O} ====="));
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "netns", "exec", Namespace, "dotnet", _corrosionDll, "agent", "-c", ConfigPath })
        {
            info.ArgumentList.Add(arg);
        }

        // The harness's own CORROSION_ variables must not reach the node.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CORROSION_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        // The node stops when the harness is gone, even when it is killed (`ip netns exec` execs
        // the agent, and the agent watches this process id, not its parent's).
        info.Environment["CORROSION_EXIT_WITH_PARENT"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _exitExpected = false;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, listening);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, listening);
        process.Exited += (_, _) => OnExited(process, listening);
        lock (_gate)
        {
            _process = process;
            _listening = listening;
        }

        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        State = NodeState.Running;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await listening.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChaosSetupException($"node {Index} did not listen within {deadline}; last output:\n{Tail}");
        }
    }

    private void OnLine(string? line, TaskCompletionSource<Uri> listening)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            try
            {
                _output?.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The run is over; late lines are dropped.
            }
        }

        if (ErrorLine().IsMatch(line))
        {
            Interlocked.Increment(ref _errorLines);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    private void OnExited(Process process, TaskCompletionSource<Uri> listening)
    {
        bool expected;
        lock (_gate)
        {
            if (!ReferenceEquals(process, _process))
            {
                return;
            }

            expected = _exitExpected;
        }

        var code = process.ExitCode;
        listening.TrySetException(new ChaosSetupException($"node {Index} exited with {code} before listening; last output:\n{Tail}"));
        if (!expected)
        {
            State = NodeState.Crashed;
            _log($"node {Index}: exited with {code} without being killed");
            _onCrash(new NodeCrash(Index, code, DateTime.UtcNow, Tail));
        }
    }

    /// <summary>SIGKILL: no graceful leave, the database stays as the crash left it.</summary>
    public async Task KillAsync()
    {
        var process = _process;
        if (process is null || State is NodeState.Killed or NodeState.Stopped or NodeState.Crashed or NodeState.NotStarted)
        {
            return;
        }

        lock (_gate)
        {
            _exitExpected = true;
        }

        ProcessSignals.Send(process.Id, ProcessSignals.SigKill);
        await WaitForExitAsync(process, TimeSpan.FromSeconds(30));
        State = NodeState.Killed;
    }

    /// <summary>SIGSTOP: the process freezes, sockets stay open, peers see silence.</summary>
    public void Pause()
    {
        if (State == NodeState.Running && _process is { } process)
        {
            ProcessSignals.Send(process.Id, ProcessSignals.SigStop);
            State = NodeState.Paused;
        }
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        if (State == NodeState.Paused && _process is { } process)
        {
            ProcessSignals.Send(process.Id, ProcessSignals.SigCont);
            State = NodeState.Running;
        }
    }

    /// <summary>SIGTERM (after SIGCONT if paused) and waits; the exit code, or null if it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan deadline)
    {
        Resume();
        var process = _process;
        if (process is null || State != NodeState.Running)
        {
            return null;
        }

        lock (_gate)
        {
            _exitExpected = true;
        }

        ProcessSignals.Send(process.Id, ProcessSignals.SigTerm);
        var exited = await WaitForExitAsync(process, deadline);
        State = NodeState.Stopped;
        if (!exited)
        {
            ProcessSignals.Send(process.Id, ProcessSignals.SigKill);
            await WaitForExitAsync(process, TimeSpan.FromSeconds(30));
            return null;
        }

        return process.ExitCode;
    }

    private static async Task<bool> WaitForExitAsync(Process process, TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            lock (_gate)
            {
                _exitExpected = true;
            }

            try
            {
                if (!process.HasExited)
                {
                    ProcessSignals.Send(process.Id, ProcessSignals.SigKill);
                    await WaitForExitAsync(process, TimeSpan.FromSeconds(30));
                }
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }

            process.Dispose();
        }

        Client.Dispose();
        _http.Dispose();
        _sockets.Dispose();
        lock (_gate)
        {
            _output?.Dispose();
            _output = null;
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningLine();

    // Microsoft.Extensions.Logging's simple console format: "fail:" / "crit:" after the timestamp.
    [GeneratedRegex(@"\b(fail|crit): ")]
    private static partial Regex ErrorLine();
}

/// <summary>Where a node is in its life, as the harness drove it.</summary>
public enum NodeState
{
    NotStarted,
    Running,
    Paused,
    Killed,
    Stopped,
    Crashed,
}

/// <summary>An exit nobody asked for.</summary>
public sealed record NodeCrash(int Node, int ExitCode, DateTime At, string Tail);
