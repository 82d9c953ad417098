using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Replication;

/// <summary>FsCheck generators for everything the wire codec carries.</summary>
internal static class WireGenerators
{
    private static readonly Gen<long> Long =
        Gen.OneOf(
            Gen.Choose(0, 1000).Select(i => (long)i),
            Gen.Elements(long.MinValue, long.MaxValue, -1L, 0L),
            Gen.Choose(int.MinValue, int.MaxValue).SelectMany(hi => Gen.Choose(int.MinValue, int.MaxValue), (hi, lo) => ((long)hi << 32) | (uint)lo));

    private static readonly Gen<long> NonNegative = Gen.Choose(0, 100_000).Select(i => (long)i);

    public static readonly Gen<ActorId> Actor =
        Gen.Choose(0, int.MaxValue).Select(seed => ActorId.FromRandom(new Random(seed)));

    private static readonly Gen<string> Text =
        Gen.OneOf(
            Gen.Elements("", "users", "id", "-1", "héllo wörld", "日本語", "emoji 🎉", "a'b\"c\0d"),
            Gen.ArrayOf(Gen.Choose(32, 0x2FFF).Select(c => (char)c)).Select(cs => new string(cs)));

    public static readonly Gen<SqlValue> Value =
        Gen.OneOf(
            Gen.Constant(SqlValue.Null),
            Long.Select(SqlValue.FromInteger),
            Gen.Elements(0.0, -0.0, 1.5, double.NaN, double.PositiveInfinity, double.MinValue, double.Epsilon).Select(SqlValue.FromReal),
            Gen.Choose(int.MinValue, int.MaxValue).Select(i => SqlValue.FromReal(i / 7.0)),
            Text.Select(SqlValue.FromText),
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Select(SqlValue.FromBlob));

    private static readonly Gen<Change> Change =
        from table in Text
        from pk in Gen.ArrayOf(Value)
        from cid in Text
        from value in Value
        from colVersion in Long
        from dbVersion in Long
        from site in Actor
        from cl in Long
        from seq in NonNegative
        select new Change(table, pk, cid, value, colVersion, dbVersion, site, cl, seq);

    private static readonly Gen<(long Start, long End)> Range =
        from start in NonNegative
        from length in Gen.Choose(0, 50)
        select (start, start + length);

    private static readonly Gen<SeqRange> Seqs = Range.Select(r => new SeqRange(r.Start, r.End));

    private static readonly Gen<VersionRange> Versions = Range.Select(r => new VersionRange(r.Start, r.End));

    public static readonly Gen<Changeset> Changeset =
        Gen.OneOf(
            from actor in Actor
            from versions in Versions
            select (Changeset)new ChangesetEmpty(actor, versions),
            from actor in Actor
            from version in NonNegative
            from seqs in Seqs
            from extra in Gen.Choose(0, 3)
            from timestamp in Long
            from changes in Gen.ArrayOf(Change)
            select (Changeset)new ChangesetFull(actor, version, changes, seqs, seqs.End + extra, (ulong)timestamp));

    private static Gen<Dictionary<TKey, TValue>> DictionaryOf<TKey, TValue>(Gen<TKey> keys, Gen<TValue> values)
        where TKey : notnull =>
        Gen.ArrayOf(from k in keys from v in values select (k, v))
            .Select(pairs =>
            {
                var d = new Dictionary<TKey, TValue>();
                foreach (var (k, v) in pairs)
                {
                    d.TryAdd(k, v);
                }

                return d;
            });

    public static readonly Gen<SyncState> SyncState =
        from self in Actor
        from heads in DictionaryOf(Actor, Long)
        from needs in DictionaryOf(Actor, Gen.ArrayOf(Versions).Select(a => (IReadOnlyList<VersionRange>)a))
        from partials in DictionaryOf(
            Actor,
            DictionaryOf(NonNegative, Gen.ArrayOf(Seqs).Select(a => (IReadOnlyList<SeqRange>)a))
                .Select(d => (IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>)d))
        select new SyncState(
            self,
            heads,
            needs.ToDictionary(kv => kv.Key, kv => kv.Value),
            partials.ToDictionary(kv => kv.Key, kv => kv.Value));

    private static readonly Gen<SyncRequest> Request =
        Gen.ArrayOf(
                from actor in Actor
                from versions in Gen.ArrayOf(Versions)
                from partials in Gen.ArrayOf(from v in NonNegative from s in Gen.ArrayOf(Seqs) select new PartialNeed(v, s))
                select new SyncNeed(actor, versions, partials))
            .Select(needs => new SyncRequest(needs));

    public static readonly Gen<WireMessage> Message =
        Gen.OneOf(
            Changeset.Select(c => (WireMessage)new BroadcastChangeset(c)),
            Changeset.Select(c => (WireMessage)new SyncChangeset(c)),
            SyncState.Select(s => (WireMessage)new SyncStateMessage(s)),
            Request.Select(r => (WireMessage)r),
            Gen.Constant((WireMessage)SyncDone.Instance),
            from reason in Gen.Elements(Enum.GetValues<SyncRejectReason>())
            from detail in Text
            select (WireMessage)new SyncReject(reason, detail),
            Long.Select(n => (WireMessage)new Ping(n)),
            from reporter in Actor
            from origin in Actor
            from version in Long
            select (WireMessage)new AppliedReport(reporter, origin, version));

    public static readonly Gen<ushort> ClusterId = Gen.Choose(0, ushort.MaxValue).Select(i => (ushort)i);
}
