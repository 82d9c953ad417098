using System.Globalization;
using System.Net.Http;
using Corrosion.Chaos.Cluster;
using Corrosion.Client;

namespace Corrosion.Chaos.Workload;

/// <summary>
/// Concurrent clients, each with its own seeded random, sending each operation to a random node:
/// inserts under unique keys (some read back at once on the node that acknowledged them),
/// conflicting upserts and deletes of a few shared rows with values of every storage class,
/// multi-statement transactions, and reads that look for torn transactions or impossible values.
/// Writes are never retried: an unanswered write is recorded as unknown.
/// </summary>
public sealed class ChaosWorkload(IReadOnlyList<ChaosNode> nodes, History history, WorkloadOptions options, Action<string> log)
{
    public const string UpsertShared = "INSERT INTO shared (id, val, writer) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET val = excluded.val, writer = excluded.writer";

    // Integral reals also go through SQL, so shared rows get REAL 7.0 whatever the parameter encoding.
    public const string UpsertSharedReal = "INSERT INTO shared (id, val, writer) VALUES (?, CAST(? AS REAL), ?) ON CONFLICT (id) DO UPDATE SET val = excluded.val, writer = excluded.writer";

    private readonly bool[] _lastFailed = new bool[options.Clients];
    private int _unknown;
    private int _failed;

    public int Unknown => Volatile.Read(ref _unknown);

    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Runs the clients until <paramref name="stop"/> says so (checked between operations) or the token is cancelled.</summary>
    public Task RunAsync(Func<bool> stop, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Clients).Select(c => Task.Run(() => ClientAsync(c, stop, cancellationToken), cancellationToken)));

    private async Task ClientAsync(int client, Func<bool> stop, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(options.Seed, client, 0x5eed));
        for (var seq = 0; !stop() && !cancellationToken.IsCancellationRequested; seq++)
        {
            var node = random.Next(nodes.Count);
            _lastFailed[client] = false;
            var roll = random.NextDouble();
            try
            {
                if (roll < 0.40)
                {
                    await UniqueAsync(client, seq, node, random, cancellationToken);
                }
                else if (roll < 0.65)
                {
                    await WriteAsync(client, node, [SharedWrite(client, seq, random, out var statement)], [statement], cancellationToken);
                }
                else if (roll < 0.70)
                {
                    var key = random.Next(options.SharedKeys);
                    await WriteAsync(client, node, [new SharedDelete(key)], [ClientStatement.Of("DELETE FROM shared WHERE id = ?", key)], cancellationToken);
                }
                else if (roll < 0.90)
                {
                    await TransactionAsync(client, seq, node, random, cancellationToken);
                }
                else if (roll < 0.95)
                {
                    await TornProbeAsync(client, node, cancellationToken);
                }
                else
                {
                    await ReadSharedAsync(client, node, random.Next(options.SharedKeys), cancellationToken);
                }

                if (_lastFailed[client])
                {
                    // A client that just found its node down or silent backs off a little, as real ones do.
                    await Task.Delay(options.BackoffAfterFailure, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task UniqueAsync(int client, int seq, int node, Random random, CancellationToken cancellationToken)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"u{client}-{seq}");
        var value = (random.Next(10), client * 10_000_000L + seq) switch
        {
            (0, _) => CellValue.Null,
            (1 or 2, var n) => CellValue.Integer(n),
            (3, var n) => CellValue.Real(n),
            (4, var n) => CellValue.Real(n + 0.25),
            (5, _) => CellValue.BlobOf(id),
            _ => CellValue.OfText(id + "!"),
        };
        var write = await WriteAsync(client, node, [new UniqueInsert(id, client, value)], [ClientStatement.Of("INSERT INTO uniq (id, client, val) VALUES (?, ?, ?)", id, client, value.ToParameter())], cancellationToken);
        if (write.Outcome == Outcome.Acknowledged && random.NextDouble() < options.ReadBackShare)
        {
            var rows = await QueryAsync(node, ClientStatement.Of("SELECT quote(val) FROM uniq WHERE id = ?", id), cancellationToken);
            if (rows is not null)
            {
                history.Read(new ReadOwnWrite(client, node, DateTime.UtcNow, write.Id, id, rows.Count > 0 ? CellValue.FromQuoted(rows[0][0]) : null, rows.Count > 0));
            }
        }
    }

    private SharedUpsert SharedWrite(int client, int seq, Random random, out ClientStatement statement)
    {
        var key = random.Next(options.SharedKeys);
        var writer = string.Create(CultureInfo.InvariantCulture, $"c{client}-{seq}");
        // A small pool of numerically equal values in every class: concurrent writes tie on
        // col_version and must be ordered by value (integer > real > text > blob), the same on every node.
        var n = random.Next(4);
        var sql = UpsertShared;
        CellValue value;
        switch (random.Next(5))
        {
            case 0:
                value = CellValue.Integer(n);
                break;
            case 1:
                value = CellValue.Real(n);
                sql = UpsertSharedReal;
                break;
            case 2:
                value = CellValue.Real(n + 0.5);
                break;
            case 3:
                value = CellValue.OfText(n.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                value = CellValue.Blob([(byte)n]);
                break;
        }

        statement = ClientStatement.Of(sql, key, value.Class == StorageClass.Real && sql == UpsertSharedReal ? n : value.ToParameter(), writer);
        return new SharedUpsert(key, value, writer);
    }

    private async Task TransactionAsync(int client, int seq, int node, Random random, CancellationToken cancellationToken)
    {
        var tx = string.Create(CultureInfo.InvariantCulture, $"t{client}-{seq}");
        var effects = new List<Effect>();
        var statements = new List<ClientStatement>();
        for (var part = 0; part < options.PartsPerTransaction; part++)
        {
            var value = string.Create(CultureInfo.InvariantCulture, $"{tx}/{part}");
            effects.Add(new PartInsert(tx, part, value));
            statements.Add(ClientStatement.Of("INSERT INTO txn_parts (tx, part, val) VALUES (?, ?, ?)", tx, part, value));
        }

        effects.Add(SharedWrite(client, seq, random, out var shared));
        statements.Add(shared);
        await WriteAsync(client, node, effects, statements, cancellationToken);
    }

    private async Task TornProbeAsync(int client, int node, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            node,
            ClientStatement.Of("SELECT quote(tx), count(*) FROM txn_parts GROUP BY tx HAVING count(*) <> ?", options.PartsPerTransaction),
            cancellationToken);
        if (rows is not null)
        {
            history.Read(new ReadTornProbe(client, node, DateTime.UtcNow, rows.Select(r => (CellValue.FromQuoted(r[0]).Text, long.Parse(r[1], CultureInfo.InvariantCulture))).ToList()));
        }
    }

    private async Task ReadSharedAsync(int client, int node, int key, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(node, ClientStatement.Of("SELECT quote(val), quote(writer) FROM shared WHERE id = ?", key), cancellationToken);
        if (rows is not null)
        {
            history.Read(rows.Count == 0
                ? new ReadShared(client, node, DateTime.UtcNow, key, null, null)
                : new ReadShared(client, node, DateTime.UtcNow, key, CellValue.FromQuoted(rows[0][0]), CellValue.FromQuoted(rows[0][1]) is { Class: StorageClass.Text } w ? w.Text : null));
        }
    }

    private async Task<WriteRecord> WriteAsync(int client, int node, IReadOnlyList<Effect> effects, IReadOnlyList<ClientStatement> statements, CancellationToken cancellationToken)
    {
        var record = history.Begin(client, node, effects, statements);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.WriteTimeout);
        try
        {
            var result = await nodes[node].Client.ExecuteAsync(statements, cancellationToken: timeout.Token);
            history.Complete(record, Outcome.Acknowledged, version: result.Version);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _unknown);
            history.Complete(record, Outcome.Unknown, $"no answer within {options.WriteTimeout.TotalSeconds:F0} s");
        }
        catch (OperationCanceledException)
        {
            history.Complete(record, Outcome.Unknown, "the run was cancelled");
            throw;
        }
        catch (CorrosionException e) when (e.StatusCode is >= 400 and < 500)
        {
            Interlocked.Increment(ref _failed);
            history.Complete(record, Outcome.Failed, $"refused {e.StatusCode}: {e.Message}");
            log($"workload: node {node} refused {record}");
        }
        catch (CorrosionException e) when (e.StatusCode == 0 && e.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
        {
            // The connection was never opened (the node is down): nothing was sent.
            Interlocked.Increment(ref _failed);
            history.Complete(record, Outcome.Failed, "node unreachable");
        }
        catch (Exception e) when (e is CorrosionException or HttpRequestException or IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            Interlocked.Increment(ref _unknown);
            history.Complete(record, Outcome.Unknown, e.Message);
        }

        _lastFailed[client] = record.Outcome != Outcome.Acknowledged;
        return record;
    }

    /// <summary>A cell as text: strings as they are (quote() output), numbers as written, null as NULL.</summary>
    public static string CellText(System.Text.Json.JsonElement cell) => cell.ValueKind switch
    {
        System.Text.Json.JsonValueKind.String => cell.GetString()!,
        System.Text.Json.JsonValueKind.Null => "NULL",
        _ => cell.GetRawText(),
    };

    /// <summary>Runs a read on a node; null when the node did not answer in time (a fault, not a finding).</summary>
    private async Task<List<string[]>?> QueryAsync(int node, ClientStatement statement, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ReadTimeout);
        try
        {
            var result = await nodes[node].Client.QueryAsync(statement, timeout.Token);
            var rows = new List<string[]>();
            await foreach (var row in result.Rows.WithCancellation(timeout.Token))
            {
                rows.Add(row.Cells.Select(CellText).ToArray());
            }

            return rows;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is CorrosionException or HttpRequestException or IOException)
        {
            return null;
        }
    }
}

/// <summary>The workload's shape.</summary>
public sealed record WorkloadOptions
{
    public int Seed { get; init; }

    public int Clients { get; init; } = 8;

    public int SharedKeys { get; init; } = 16;

    public int PartsPerTransaction { get; init; } = 3;

    /// <summary>Share of acknowledged unique inserts read back at once from the node that acknowledged them.</summary>
    public double ReadBackShare { get; init; } = 0.1;

    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Pause of a client after a write that failed or got no answer.</summary>
    public TimeSpan BackoffAfterFailure { get; init; } = TimeSpan.FromMilliseconds(100);
}
