using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Bench;

/// <summary>
/// `subscription-file` suite: what recording one event costs the subscription actor, alone: N
/// subscriptions of 10 rows each in a subscription file, then one row of one subscription updated in
/// place per <see cref="SubscriptionFile.RecordAll"/> (its own transaction: the `subscriptions`
/// suite's case, one event per write), round robin over the subscriptions. Reports the wall time and
/// the thread's CPU time per recording.
/// </summary>
internal static class SubscriptionFileBench
{
    public static int Run(string[] args)
    {
        var subscriptions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var records = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20_000;
        // Recordings per transaction (the subscription actor records the events of a burst together).
        var batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
        using var dir = new BenchDirectory();
        using var file = new SubscriptionFile(dir.File("subscriptions.db"));
        var rows = new List<List<MaterializedRow>>();
        for (var s = 0; s < subscriptions; s++)
        {
            var mine = Enumerable.Range(0, 10).Select(i => new MaterializedRow(i + 1, [(byte)s, (byte)i], [SqlValue.FromText(FormattableString.Invariant($"m-{s}-{i}")), SqlValue.FromInteger(0)])).ToList();
            rows.Add(mine);
            file.Create(new StoredSubscription(Id(s), new Statement("SELECT id, updated_at FROM machines WHERE region = ?", [SqlValue.FromText("r")]), "h" + Id(s), ["id", "updated_at"], 10, 0, 0, 0, mine), 0);
        }

        var changeIds = new long[subscriptions];
        string[] columns = ["id", "updated_at"];
        for (var round = 0; round < 3; round++)
        {
            var cpu = ThreadCpu();
            var watch = Stopwatch.StartNew();
            var recordings = new List<Recording>(batch);
            for (var n = 0; n < records; n++)
            {
                var s = n % subscriptions;
                var old = rows[s][n / subscriptions % 10];
                var row = old with { Cells = [old.Cells[0], SqlValue.FromInteger(n)] };
                var change = new SubscriptionChange(ChangeKind.Update, row.RowId, row.Cells, ++changeIds[s]);
                var delta = new ResultDelta([change], [row], []);
                recordings.Add(new Recording(Id(s), delta, columns, 10, changeIds[s], 0, Counters: false));
                if (recordings.Count == batch || n == records - 1)
                {
                    file.RecordAll(recordings, n);
                    recordings.Clear();
                    // As the subscription actor does after sending the changes.
                    while (file.UpkeepDue && file.Upkeep())
                    {
                    }
                }
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var cpuMicros = (ThreadCpu() - cpu).TotalMicroseconds;
            Console.WriteLine(FormattableString.Invariant($"- round {round + 1}: {records:N0} recordings of one updated row, {subscriptions} subscriptions, {batch} per transaction: {seconds * 1e6 / records:F1} µs wall, {cpuMicros / records:F1} µs thread CPU per recording"));
        }

        return 0;
    }

    private static string Id(int s) => FormattableString.Invariant($"00000000-0000-4000-8000-{s:D12}");

    private static TimeSpan ThreadCpu()
    {
        // CLOCK_THREAD_CPUTIME_ID through /proc would be coarse; the process time is close enough on one busy thread.
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
