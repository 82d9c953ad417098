using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging;

namespace Corrosion.Fuzz.Tests;

/// <summary>
/// A whole node for a fuzz campaign: Kestrel on a loopback port, optionally the gossip transport
/// (plain TCP) and SWIM on a UDP port, a schema with seed rows, and tokens: the fuzzer writes with
/// a token restricted to <c>items</c> and <c>pairs</c>, so the <c>vault_guard</c> rows must never change.
/// Error-level log entries are kept: an unhandled error is a finding.
/// </summary>
internal sealed class FuzzNode : IAsyncDisposable
{
    public const string RootToken = "fuzz-root";
    public const string WriterToken = "fuzz-writer";
    public const string ReaderToken = "fuzz-reader";

    public const string Schema = """
        CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, data BLOB, score REAL);
        CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v TEXT, PRIMARY KEY (a, b));
        CREATE TABLE vault_guard (id INTEGER NOT NULL PRIMARY KEY, secret TEXT);
        """;

    private readonly string _dir;

    private FuzzNode(string dir, CorrosionNode node, ErrorLog errors, HttpClient root)
    {
        _dir = dir;
        Node = node;
        Errors = errors;
        Root = root;
    }

    public CorrosionNode Node { get; }

    /// <summary>Error and critical log entries the node wrote.</summary>
    public ErrorLog Errors { get; }

    /// <summary>A client with the full-access token (setup and checks only; the fuzzer never uses it).</summary>
    public HttpClient Root { get; }

    public Uri ApiAddress => Node.ApiAddress;

    /// <summary>The gossip address (TCP transport and SWIM's UDP socket).</summary>
    public IPEndPoint GossipEndPoint => (IPEndPoint)Node.Transport!.LocalEndPoint;

    public static async Task<FuzzNode> StartAsync(bool replication, Action<NodeOptions>? configure = null)
    {
        var dir = Directory.CreateTempSubdirectory("corro-fuzz-").FullName;
        var schema = Path.Combine(dir, "schema.sql");
        await File.WriteAllTextAsync(schema, Schema);
        var options = new NodeOptions { EnableReplication = replication };
        options.Db.Path = Path.Combine(dir, "node.db");
        options.Db.SchemaPaths.Add(schema);
        options.Api.Addr = "127.0.0.1:0";
        // No bookkeeping compaction: it deletes rows of __corro_versions in the background, which the checks below
        // (a refused input changes nothing: fingerprints, data_version) would take for the input's doing.
        options.Db.CompactionInterval = TimeSpan.Zero;
        options.Api.MaxBodySize = new Corrosion.Hocon.ByteSize(256 * 1024);
        options.Api.DefaultTimeout = TimeSpan.FromSeconds(1);
        // Scaled down as the timeout is: a million rows (the default) of an endless query take the
        // fuzzer's checking client 6 s to read at load 16, too close to its 20 s hang deadline at load 80.
        options.Api.MaxQueryRows = 100_000;
        options.Api.Authz.BearerTokens.Add(RootToken);
        options.Api.Authz.Tokens.Add(new TokenOptions { Name = "writer", Token = WriterToken, Scope = "write", Tables = ["items", "pairs"] });
        options.Api.Authz.Tokens.Add(new TokenOptions { Name = "reader", Token = ReaderToken, Scope = "read" });
        options.Subscriptions = options.Subscriptions with { IdleTimeout = TimeSpan.FromSeconds(1), MaxSubscriptions = 100_000, BatchWindow = TimeSpan.FromMilliseconds(1) };
        options.Gossip = options.Gossip with { Transport = TransportKind.Tcp, Plaintext = true, BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0), ClusterId = 7 };
        options.Replication = options.Replication with { SessionTimeout = TimeSpan.FromSeconds(5), StorageTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);

        var errors = new ErrorLog();
        var loggerFactory = LoggerFactory.Create(b => b.AddProvider(errors).SetMinimumLevel(LogLevel.Warning));
        var node = await CorrosionNode.StartAsync(options, loggerFactory);
        var root = new HttpClient { BaseAddress = node.ApiAddress, Timeout = TimeSpan.FromSeconds(30) };
        root.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RootToken);
        var fuzz = new FuzzNode(dir, node, errors, root);
        await fuzz.SeedAsync();
        return fuzz;
    }

    private async Task SeedAsync()
    {
        using var content = new StringContent("""
            [
              "INSERT INTO items (id, name, data, score) VALUES (1, 'one', x'01ff', 1.5), (2, 'two', NULL, -0.0), (3, NULL, x'', 1e300)",
              "INSERT INTO pairs (a, b, v) VALUES ('k', 1, 'v1'), ('k', 2, NULL), ('é', -9, 'ü')",
              "INSERT INTO vault_guard (id, secret) VALUES (1, 'never changes'), (2, 'nor this')"
            ]
            """, Encoding.UTF8, "application/json");
        using var response = await Root.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A digest of every table of the database (user tables, clocks, bookkeeping; not membership).</summary>
    public string Fingerprint(bool userTablesOnly = false) => string.Join(",", TableDigests(userTablesOnly).Select(kv => $"{kv.Key}:{kv.Value}"));

    /// <summary>The tables whose digests differ between two fingerprints.</summary>
    public static string ChangedTables(string before, string after)
    {
        var a = before.Split(',').ToHashSet(StringComparer.Ordinal);
        return string.Join(", ", after.Split(',').Where(t => !a.Contains(t)).Select(t => t.Split(':')[0]));
    }

    private SortedDictionary<string, string> TableDigests(bool userTablesOnly)
    {
        var tables = new List<string>();
        using (var list = Node.Store.Query(new Statement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")))
        {
            tables.AddRange(list.Rows.Select(r => r.Cells[0].AsText));
        }

        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables.Where(t => t != "__corro_members" && (!userTablesOnly || !t.Contains("__corro", StringComparison.Ordinal))))
        {
            using var rows = Node.Store.Query(new Statement($"SELECT * FROM \"{table}\""));
            var lines = rows.Rows.Select(r => string.Join('|', r.Cells.Select(c => c.ToString()))).Order(StringComparer.Ordinal).ToList();
            digests[table] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))))[..16];
        }

        return digests;
    }

    /// <summary>
    /// SQLite's <c>PRAGMA data_version</c> seen from a connection of our own: it changes exactly when
    /// another connection commits, so an unchanged value proves nothing was written (cheaper than
    /// <see cref="Fingerprint"/>, which is taken only when it moved).
    /// </summary>
    public long DataVersion()
    {
        if (_watcher is null)
        {
            _watcher = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Node.Options.Db.Path};Mode=ReadOnly;Pooling=False");
            _watcher.Open();
        }

        using var command = _watcher.CreateCommand();
        command.CommandText = "PRAGMA data_version";
        return (long)command.ExecuteScalar()!;
    }

    private Microsoft.Data.Sqlite.SqliteConnection? _watcher;

    /// <summary>The guarded rows, as seeded.</summary>
    public string GuardRows()
    {
        using var rows = Node.Store.Query(new Statement("SELECT id, secret FROM vault_guard ORDER BY id"));
        return string.Join(";", rows.Rows.Select(r => string.Join('|', r.Cells.Select(c => c.ToString()))));
    }

    public const string SeededGuardRows = "1|'never changes';2|'nor this'";

    /// <summary>True when the node answers /v1/health 200 within the deadline and its actors still run.</summary>
    public async Task<bool> HealthyAsync(TimeSpan? deadline = null)
    {
        if (Node.WhenTerminated.IsCompleted)
        {
            return false;
        }

        using var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(10));
        try
        {
            using var response = await Root.GetAsync(new Uri("v1/health", UriKind.Relative), cts.Token);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SQLite's own consistency check of the database file.</summary>
    public string IntegrityCheck()
    {
        using var rows = Node.Store.Query(new Statement("PRAGMA integrity_check"));
        return string.Join(";", rows.Rows.Select(r => r.Cells[0].ToString()));
    }

    public async ValueTask DisposeAsync()
    {
        Root.Dispose();
        _watcher?.Dispose();
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Keeps error-level log entries (with their exceptions).</summary>
    internal sealed class ErrorLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _entries = new();

        public IReadOnlyCollection<string> Entries => _entries;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error)
                {
                    entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
                }
            }
        }
    }
}
