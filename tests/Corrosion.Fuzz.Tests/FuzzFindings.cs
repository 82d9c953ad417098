using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// What a fuzz campaign saw: inputs, outcomes by kind, crashes (wrong answers, 5xx, a dead node), hangs
/// and the slowest inputs. Safe to use from several client lanes at once.
/// </summary>
internal sealed class FuzzFindings(string target)
{
    private const int KeptFindings = 20;
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly List<string> _crashes = [];
    private readonly List<string> _hangs = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(double Seconds, string What)> _slowest = [];
    private readonly ConcurrentDictionary<string, double> _seconds = new(StringComparer.Ordinal);

    private int _inputs;
    private int _crashCount;
    private int _hangCount;

    public int Inputs => Volatile.Read(ref _inputs);

    public int Crashes => Volatile.Read(ref _crashCount);

    public int Hangs => Volatile.Read(ref _hangCount);

    public void Input() => Interlocked.Increment(ref _inputs);

    /// <summary>Adds time spent on something other than a request (generating inputs, checking the database).</summary>
    public void Spent(string kind, TimeSpan elapsed) => _seconds.AddOrUpdate(kind, elapsed.TotalSeconds, (_, t) => t + elapsed.TotalSeconds);

    /// <summary>Records how long an input took; the slowest few are named in the summary.</summary>
    public void Took(int index, TimeSpan elapsed, string shape)
    {
        _seconds.AddOrUpdate(shape.Split(' ')[0], elapsed.TotalSeconds, (_, t) => t + elapsed.TotalSeconds);
        lock (_slowest)
        {
            _slowest.Add((elapsed.TotalSeconds, $"#{index} {shape} {elapsed.TotalSeconds:F1} s"));
            if (_slowest.Count > 5)
            {
                _slowest.Remove(_slowest.MinBy(s => s.Seconds));
            }
        }
    }

    public void Outcome(string kind) => _outcomes.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public void Crash(int index, string what, string input)
    {
        Interlocked.Increment(ref _crashCount);
        lock (_crashes)
        {
            if (_crashes.Count < KeptFindings)
            {
                _crashes.Add($"input {index}: {what}\n    {Shorten(input)}");
            }
        }
    }

    public void Hang(int index, string what, string input)
    {
        Interlocked.Increment(ref _hangCount);
        lock (_hangs)
        {
            if (_hangs.Count < KeptFindings)
            {
                _hangs.Add($"input {index}: {what}\n    {Shorten(input)}");
            }
        }
    }

    /// <summary>True when the campaign should stop early (enough to debug).</summary>
    public bool TooMany => Crashes + Hangs >= 50;

    public string Summary()
    {
        lock (_slowest)
        {
            return SummaryText();
        }
    }

    private string SummaryText() => string.Create(CultureInfo.InvariantCulture,
        $"fuzz {target}: {Inputs} inputs, {Crashes} crashes, {Hangs} hangs, {_clock.Elapsed.TotalSeconds:F0} s, seed {FuzzSettings.Seed}{(FuzzSettings.First > 0 ? $" from input {FuzzSettings.First}" : string.Empty)}; outcomes: {string.Join(", ", _outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}; slowest: {string.Join(", ", _slowest.OrderByDescending(s => s.Seconds).Select(s => s.What))}; seconds by kind: {string.Join(", ", _seconds.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {s.Value:F0}"))}");

    /// <summary>Prints the summary, records it, and fails the test on any crash or hang, listing them.</summary>
    public void AssertClean(ITestOutputHelper output)
    {
        var summary = Summary();
        output.WriteLine(summary);
        FuzzSettings.Report(summary);
        if (Crashes + Hangs == 0)
        {
            return;
        }

        var text = new StringBuilder(summary).AppendLine();
        foreach (var line in _crashes)
        {
            text.AppendLine("CRASH " + line);
        }

        foreach (var line in _hangs)
        {
            text.AppendLine("HANG " + line);
        }

        Assert.Fail(text.ToString());
    }

    private static string Shorten(string input) => input.Length <= 6000 ? input : input[..6000] + $"… ({input.Length} chars)";
}
