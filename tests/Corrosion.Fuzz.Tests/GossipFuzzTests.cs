using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Corrosion.Fuzz.Tests;

/// <summary>One input of the gossip campaign: frames (as raw bytes) on a broadcast link or in a sync session.</summary>
internal sealed record GossipInput(bool Session, byte[] Preface, byte[] Payload, string Shape)
{
    public override string ToString() => $"{(Session ? "sync session" : "broadcast link")} [{Shape}] preface {Convert.ToHexString(Preface)} payload {Convert.ToHexString(Payload.AsSpan(0, Math.Min(Payload.Length, 300)))}{(Payload.Length > 300 ? $"… ({Payload.Length} bytes)" : string.Empty)}";
}

/// <summary>
/// Gossip frames and sync sessions through the real TCP transport and the real codec: valid frames
/// from a stranger, byte-mutated, truncated, oversized, of another cluster or format version, bad
/// greetings. The node never hangs a session, keeps its guarded data, changes nothing in blocks where
/// no input decodes as a changeset, and still applies a good changeset at the end.
/// </summary>
public sealed class GossipFuzzTests(ITestOutputHelper output)
{
    private const ushort Cluster = 7;
    private const int BlockSize = 250;
    private static readonly ActorId Stranger = ActorId.Parse("0f0f0f0f-0000-4000-8000-00000000f00d");
    private static readonly TimeSpan SessionDeadline = TimeSpan.FromSeconds(15);

    private static Gen<Change> Changes(long version) => Gen.Frequency(
        (3, from id in Gen.Choose(1, 6) from cid in Gen.Elements("name", "data", "score", "-1", "nope", "id") from v in Values() from cv in Gen.Choose(0, 5) from cl in Gen.Choose(0, 4) from seq in Gen.Choose(0, 3)
            select new Change("items", [SqlValue.FromInteger(id)], cid, v, cv, version, Stranger, cl, seq)),
        (2, from a in Gen.Elements("k", "z", "") from b in Gen.Choose(-2, 2) from cid in Gen.Elements("v", "-1") from v in Values() from cv in Gen.Choose(0, 5) from cl in Gen.Choose(1, 3)
            select new Change("pairs", [SqlValue.FromText(a), SqlValue.FromInteger(b)], cid, v, cv, version, Stranger, cl, 0)),
        (1, from t in Gen.Elements("nope", "items__corro_clock", "__corro_versions", "sqlite_master", "") from v in Values()
            select new Change(t, [SqlValue.FromInteger(1)], "x", v, 1, version, Stranger, 1, 0)),
        (1, from v in Values() select new Change("items", [], "name", v, 1, version, Stranger, 1, 0)),
        (1, from v in Values() select new Change("items", [SqlValue.FromText("not an integer key"), v], "name", v, long.MaxValue, version, Stranger, long.MaxValue, 0)));

    private static Gen<SqlValue> Values() => Gen.Elements(
        SqlValue.Null, SqlValue.FromInteger(0), SqlValue.FromInteger(long.MinValue), SqlValue.FromReal(double.NaN), SqlValue.FromReal(-0.0),
        SqlValue.FromText(""), SqlValue.FromText("fuzz"), SqlValue.FromText(new string('é', 500)), SqlValue.FromBlob([]), SqlValue.FromBlob([0, 255]));

    private static Gen<WireMessage> Messages() => Gen.Frequency(
        (5, from version in Gen.Elements(1L, 2L, 3L, 50L, 0L, -1L, long.MaxValue) from n in Gen.Choose(1, 4) from changes in Gen.ListOf(Changes(version), n) from last in Gen.Choose(0, 5) from sync in Gen.Elements(false, true)
            let list = changes.ToList()
            let cs = (Changeset)new ChangesetFull(Stranger, version, list, new SeqRange(0, Math.Min(last, Math.Max(0, list.Count - 1))), last, 1)
            select sync ? (WireMessage)new SyncChangeset(cs) : new BroadcastChangeset(cs)),
        (1, from a in Gen.Choose(-1, 10) from b in Gen.Choose(-1, 20) select (WireMessage)new BroadcastChangeset(new ChangesetEmpty(Stranger, new VersionRange(a, b)))),
        (3, from head in Gen.Elements(0L, 3L, 100L, long.MaxValue) from needA in Gen.Choose(-1, 5) from needB in Gen.Choose(-1, 200)
            select (WireMessage)new SyncStateMessage(new SyncState(
                Stranger,
                new Dictionary<ActorId, long> { [Stranger] = head },
                new Dictionary<ActorId, IReadOnlyList<VersionRange>> { [ActorId.Empty] = [new VersionRange(needA, needB)] },
                new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>()))),
        (2, from a in Gen.Choose(-1, 5) from b in Gen.Choose(-1, 100000) from p in Gen.Choose(0, 3)
            select (WireMessage)new SyncRequest([new SyncNeed(ActorId.Empty, [new VersionRange(a, b)], [new PartialNeed(a, [new SeqRange(0, p)])])])),
        (1, Gen.Elements<WireMessage>(SyncDone.Instance, new Ping(42), new SyncReject(SyncRejectReason.Busy, "busy"))));

    private static byte[] Preface(bool session, ushort port) => ["C"u8[0], "O"u8[0], "R"u8[0], "O"u8[0], 1, session ? (byte)2 : (byte)1, (byte)port, (byte)(port >> 8)];

    private static Gen<byte[]> Frame() =>
        from message in Messages()
        from kind in Gen.Frequency((12, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)), (1, Gen.Constant(4)))
        let frame = ReplicationCodec.Encode(Cluster, message)
        select kind switch
        {
            1 => Patch(frame, 6, 8, (ushort)(Cluster + 1)), // another cluster
            2 => Patch(frame, 5, 8, 2), // another format version
            3 => Patch(frame, 0, 32, 0x7FFFFFF0u), // announces a huge frame
            4 => frame[..Math.Max(1, frame.Length / 2)], // cut short
            _ => frame,
        };

    private static byte[] Patch(byte[] frame, int offset, int bits, uint value)
    {
        var copy = (byte[])frame.Clone();
        if (bits == 8)
        {
            copy[offset] = (byte)value;
            if (offset == 6)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(6), (ushort)value);
            }
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        }

        return copy;
    }

    private static Gen<GossipInput> Inputs(ushort port) =>
        from session in Gen.Frequency((3, Gen.Constant(false)), (2, Gen.Constant(true)))
        from n in Gen.Choose(1, 3)
        from frames in Gen.ListOf(Frame(), n)
        let payload = frames.SelectMany(f => f).ToArray()
        from shape in Gen.Frequency((5, Gen.Constant("valid")), (8, Gen.Constant("mutated")), (1, Gen.Constant("bad greeting")), (1, Gen.Constant("random")))
        from mutated in ByteMutator.Mutate(payload)
        from preface in ByteMutator.Mutate(Preface(session, port))
        from noise in Gen.Choose(0, int.MaxValue)
        select shape switch
        {
            "mutated" => new GossipInput(session, Preface(session, port), mutated, shape),
            "bad greeting" => new GossipInput(session, preface, payload, shape),
            "random" => new GossipInput(session, Preface(session, port), RandomBytes(noise % 3000, noise), shape),
            _ => new GossipInput(session, Preface(session, port), payload, shape),
        };

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>True when some frame of the payload decodes as a changeset the node would apply.</summary>
    private static bool CarriesChangeset(byte[] payload)
    {
        var rest = payload.AsSpan();
        while (rest.Length >= 4)
        {
            var size = (long)BinaryPrimitives.ReadUInt32LittleEndian(rest) + 4;
            if (size > rest.Length)
            {
                return false;
            }

            var decoded = ReplicationCodec.TryDecode(rest[..(int)size], Cluster);
            if (decoded.Message is BroadcastChangeset or SyncChangeset)
            {
                return true;
            }

            rest = rest[(int)size..];
        }

        return false;
    }

    [Fact]
    public async Task Generated_frames_and_sessions_never_hang_the_node_or_touch_its_data_unless_they_carry_a_changeset()
    {
        await using var node = await FuzzNode.StartAsync(replication: true);
        var findings = new FuzzFindings("gossip-tcp");
        var gen = Inputs(9);
        var target = node.GossipEndPoint;
        var index = 0;
        for (var block = 0; findings.Inputs < FuzzSettings.Inputs(600) && !findings.TooMany; block++)
        {
            // Even blocks hold only inputs that carry no decodable changeset: the data must not move.
            var quiet = block % 2 == 0;
            var before = node.Fingerprint();
            var inputs = new List<(int Index, GossipInput Input)>();
            for (; inputs.Count < BlockSize && findings.Inputs + inputs.Count < FuzzSettings.Inputs(600); index++)
            {
                var input = FuzzSettings.Generate(gen, index);
                if (!quiet || !CarriesChangeset(input.Payload))
                {
                    inputs.Add((index, input));
                }
            }

            // Several connections at once, as peers make them (CORROSION_FUZZ_CLIENTS).
            await Parallel.ForEachAsync(inputs, new ParallelOptions { MaxDegreeOfParallelism = FuzzSettings.Clients }, async (item, _) =>
            {
                var (i, input) = item;
                findings.Input();
                FuzzSettings.Trace("gossip-tcp", i, input);
                var took = Stopwatch.StartNew();
                var outcome = await SendAsync(target, input);
                var kind = $"{(input.Session ? "session" : "link")} {input.Shape} {outcome.Kind}";
                findings.Took(i, took.Elapsed, kind);
                findings.Outcome(kind);
                if (outcome.Hung)
                {
                    findings.Hang(i, outcome.Kind, input.ToString());
                }
            });

            if (quiet)
            {
                var settling = Stopwatch.StartNew();
                await QuiesceAsync(node);
                findings.Spent("settling", settling.Elapsed);
                if (node.Fingerprint() != before)
                {
                    findings.Crash(index, $"block {block} carried no changeset, yet the database changed: {FuzzNode.ChangedTables(before, node.Fingerprint())}", "(the block's inputs)");
                }
            }

            if (!await node.HealthyAsync())
            {
                findings.Crash(index, "the node stopped answering /v1/health", string.Empty);
                break;
            }
        }

        Assert.Equal(FuzzNode.SeededGuardRows, node.GuardRows());
        Assert.Equal("'ok'", node.IntegrityCheck());
        try
        {
            await AppliesAGoodChangesetAsync(node);
        }
        catch
        {
            // The node's errors say why it stopped merging (this wait fails now and then, since before session 11).
            foreach (var error in node.Errors.Entries.Take(20))
            {
                output.WriteLine("error logged: " + error);
            }

            // Which step stopped: the transport's counters say whether the frame arrived; a gossip actor
            // that does not answer its stats is busy for good (it reads frames and hands merges over).
            var t = node.Node.Transport!.Counters;
            output.WriteLine($"transport: frames received {t.FramesReceived}, malformed streams {t.MalformedStreams}, oversized {t.OversizedFrames}, foreign {t.ForeignClusterFrames}");
            try
            {
                var stats = await node.Node.Actors.Gossip!.Ask<GossipStats>(r => new GetGossipStats(r), TimeSpan.FromSeconds(5));
                output.WriteLine("gossip stats: " + stats);
            }
            catch (Exception e) when (e is Akka.Actor.AskTimeoutException or TaskCanceledException)
            {
                output.WriteLine("the gossip actor did not answer its stats within 5 s: it is stuck in a message");
            }

            throw;
        }

        foreach (var error in node.Errors.Entries.Take(20))
        {
            findings.Crash(-1, "error logged: " + error, string.Empty);
        }

        findings.AssertClean(output);
    }

    private sealed record Outcome(string Kind, bool Hung = false);

    private static async Task<Outcome> SendAsync(IPEndPoint target, GossipInput input)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        using var deadline = new CancellationTokenSource(SessionDeadline);
        try
        {
            await socket.ConnectAsync(target, deadline.Token);
            if (input.Shape == "bad greeting")
            {
                // A greeting cut short would only wait for the node's handshake timeout: send it all and
                // end the stream, and the node must close the connection at once (or take what was valid).
                await socket.SendAsync(input.Preface.Concat(input.Payload).ToArray(), SocketFlags.None, deadline.Token);
                socket.Shutdown(SocketShutdown.Send);
                return await DrainAsync(socket, deadline.Token) == 0 ? new Outcome("greeting refused") : new Outcome("greeting taken");
            }

            await socket.SendAsync(input.Preface, SocketFlags.None, deadline.Token);
            var ack = new byte[1];
            if (await socket.ReceiveAsync(ack, SocketFlags.None, deadline.Token) == 0)
            {
                return new Outcome("greeting refused");
            }

            await socket.SendAsync(input.Payload, SocketFlags.None, deadline.Token);
            if (!input.Session)
            {
                return new Outcome("sent");
            }

            // A session must end: answered and closed, or closed for the bad input, or by its timeout.
            socket.Shutdown(SocketShutdown.Send);
            return await DrainAsync(socket, deadline.Token) == 0 ? new Outcome("closed") : new Outcome("answered");
        }
        catch (OperationCanceledException)
        {
            return new Outcome($"no end within {SessionDeadline}", Hung: true);
        }
        catch (SocketException e)
        {
            return new Outcome("reset " + e.SocketErrorCode);
        }
    }

    /// <summary>Reads until the node closes the connection; the bytes it sent.</summary>
    private static async Task<long> DrainAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[65536];
        long received = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (n == 0)
            {
                return received;
            }

            received += n;
        }
    }

    /// <summary>Waits until the node's transport has received nothing new for a moment.</summary>
    private static async Task QuiesceAsync(FuzzNode node)
    {
        var counters = node.Node.Transport!.Counters;
        long Seen() => counters.FramesReceived + counters.MalformedStreams + counters.OversizedFrames + counters.ForeignClusterFrames;
        var last = Seen();
        var stable = Stopwatch.StartNew();
        while (stable.Elapsed < TimeSpan.FromMilliseconds(300))
        {
            await Task.Delay(50);
            var now = Seen();
            if (now != last)
            {
                last = now;
                stable.Restart();
            }
        }
    }

    /// <summary>Sends one frame on a broadcast link, as a peer would.</summary>
    internal static async Task SendFrameAsync(FuzzNode node, byte[] frame) =>
        await SendAsync(node.GossipEndPoint, new GossipInput(false, Preface(false, 9), frame, "one frame"));

    /// <summary>After the campaign a well-formed broadcast from a new actor is merged: the pipeline still works.</summary>
    internal static async Task AppliesAGoodChangesetAsync(FuzzNode node)
    {
        var origin = ActorId.NewId();
        var change = new Change("items", [SqlValue.FromInteger(424242)], "name", SqlValue.FromText("after the fuzz"), 1, 1, origin, 1, 1);
        var sentinel = new Change("items", [SqlValue.FromInteger(424242)], "-1", SqlValue.Null, 1, 1, origin, 1, 0);
        var frame = ReplicationCodec.Encode(Cluster, new BroadcastChangeset(new ChangesetFull(origin, 1, [sentinel, change], new SeqRange(0, 1), 1, 1)));
        var input = new GossipInput(false, Preface(false, 9), frame, "final");
        await SendAsync(node.GossipEndPoint, input);
        await SwimFuzzTests.WaitUntilAsync(() =>
        {
            using var rows = node.Node.Store.Query(new Statement("SELECT name FROM items WHERE id = 424242"));
            return Task.FromResult(rows.Rows.Any(r => r.Cells[0].ToString() == "'after the fuzz'"));
        }, "the node merges a good changeset after the campaign");
    }
}
