using System.Collections.Concurrent;
using Corrosion.Client;

namespace Corrosion.Chaos.Workload;

/// <summary>Everything the clients did: each write with its intended effects and its outcome, and what reads saw.</summary>
public sealed class History
{
    private readonly ConcurrentQueue<WriteRecord> _writes = new();
    private readonly ConcurrentQueue<ReadRecord> _reads = new();
    private long _nextId;
    private int _acknowledged;

    public IReadOnlyCollection<WriteRecord> Writes => _writes;

    public IReadOnlyCollection<ReadRecord> Reads => _reads;

    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Records a write before it is sent (so a value a read sees before the answer is known is accounted for).</summary>
    public WriteRecord Begin(int client, int node, IReadOnlyList<Effect> effects, IReadOnlyList<ClientStatement> statements)
    {
        var record = new WriteRecord(Interlocked.Increment(ref _nextId), client, node, effects, statements, DateTime.UtcNow);
        _writes.Enqueue(record);
        return record;
    }

    public void Complete(WriteRecord record, Outcome outcome, string? detail = null, long? version = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Complete(outcome, detail, version);
        if (outcome == Outcome.Acknowledged)
        {
            Interlocked.Increment(ref _acknowledged);
        }
    }

    public void Read(ReadRecord read) => _reads.Enqueue(read);
}

/// <summary>How a write ended, as far as its client could tell.</summary>
public enum Outcome
{
    /// <summary>Still in flight (never left in a finished history).</summary>
    Pending,

    /// <summary>200 with a version: committed on the node that answered.</summary>
    Acknowledged,

    /// <summary>Certainly not applied: refused with a 4xx, or the connection could not be opened.</summary>
    Failed,

    /// <summary>Sent, but no answer (timeout, broken connection, 5xx): it may or may not have committed.</summary>
    Unknown,
}

/// <summary>One write transaction.</summary>
public sealed class WriteRecord(long id, int client, int node, IReadOnlyList<Effect> effects, IReadOnlyList<ClientStatement> statements, DateTime started)
{
    public long Id { get; } = id;

    public int Client { get; } = client;

    public int Node { get; } = node;

    public IReadOnlyList<Effect> Effects { get; } = effects;

    public IReadOnlyList<ClientStatement> Statements { get; } = statements;

    public DateTime Started { get; } = started;

    public DateTime Finished { get; private set; }

    public Outcome Outcome { get; private set; } = Outcome.Pending;

    public string? Detail { get; private set; }

    public long? Version { get; private set; }

    /// <summary>Acknowledged or unknown: its values may legitimately be on the nodes.</summary>
    public bool MayHaveApplied => Outcome is Outcome.Acknowledged or Outcome.Unknown or Outcome.Pending;

    internal void Complete(Outcome outcome, string? detail, long? version)
    {
        Outcome = outcome;
        Detail = detail;
        Version = version;
        Finished = DateTime.UtcNow;
    }

    public override string ToString() => $"write #{Id} (client {Client} → node {Node}, {Outcome}{(Detail is null ? "" : ": " + Detail)}): {string.Join("; ", Effects)}";
}

/// <summary>What a write transaction does to the tables.</summary>
public abstract record Effect;

/// <summary>A row of <c>uniq</c> inserted under a key nobody else uses.</summary>
public sealed record UniqueInsert(string Id, long Client, CellValue Value) : Effect
{
    public override string ToString() => $"uniq[{Id}] = {Value}";
}

/// <summary>An upsert of a shared row (both value columns).</summary>
public sealed record SharedUpsert(long Key, CellValue Value, string Writer) : Effect
{
    public override string ToString() => $"shared[{Key}] = ({Value}, '{Writer}')";
}

/// <summary>A delete of a shared row.</summary>
public sealed record SharedDelete(long Key) : Effect
{
    public override string ToString() => $"delete shared[{Key}]";
}

/// <summary>One part of a multi-statement transaction.</summary>
public sealed record PartInsert(string Tx, long Part, string Value) : Effect
{
    public override string ToString() => $"txn_parts[{Tx}/{Part}]";
}

/// <summary>A read and what it saw.</summary>
public abstract record ReadRecord(int Client, int Node, DateTime At);

/// <summary>A read, on the node that acknowledged it, of a row just written there.</summary>
public sealed record ReadOwnWrite(int Client, int Node, DateTime At, long WriteId, string Id, CellValue? Seen, bool Found) : ReadRecord(Client, Node, At);

/// <summary>Transactions a node showed with some but not all of their parts (should be none).</summary>
public sealed record ReadTornProbe(int Client, int Node, DateTime At, IReadOnlyList<(string Tx, long Parts)> Partial) : ReadRecord(Client, Node, At);

/// <summary>The value of a shared row a node showed.</summary>
public sealed record ReadShared(int Client, int Node, DateTime At, long Key, CellValue? Value, string? Writer) : ReadRecord(Client, Node, At);
