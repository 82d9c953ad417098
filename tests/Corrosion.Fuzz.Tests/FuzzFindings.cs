using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Corrosion.Fuzz.Tests;

/// <summary>What a fuzz campaign saw: inputs, outcomes by kind, crashes (wrong answers, 5xx, a dead node) and hangs.</summary>
internal sealed class FuzzFindings(string target)
{
    private const int KeptFindings = 20;
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly List<string> _crashes = [];
    private readonly List<string> _hangs = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public int Inputs { get; private set; }

    public int Crashes { get; private set; }

    public int Hangs { get; private set; }

    public void Input() => Inputs++;

    public void Outcome(string kind) => _outcomes.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public void Crash(int index, string what, string input)
    {
        Crashes++;
        if (_crashes.Count < KeptFindings)
        {
            _crashes.Add($"input {index}: {what}\n    {Shorten(input)}");
        }
    }

    public void Hang(int index, string what, string input)
    {
        Hangs++;
        if (_hangs.Count < KeptFindings)
        {
            _hangs.Add($"input {index}: {what}\n    {Shorten(input)}");
        }
    }

    /// <summary>True when the campaign should stop early (enough to debug).</summary>
    public bool TooMany => Crashes + Hangs >= 50;

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"fuzz {target}: {Inputs} inputs, {Crashes} crashes, {Hangs} hangs, {_clock.Elapsed.TotalSeconds:F0} s, seed {FuzzSettings.Seed}; outcomes: {string.Join(", ", _outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))}");

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
