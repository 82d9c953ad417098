using System.Buffers.Binary;
using System.Text;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

public static partial class ReplicationCodec
{
    private const byte ChangesetFullTag = 1;
    private const byte ChangesetEmptyTag = 2;
    private const int RangeSize = 16;

    private static void Write(ushort clusterId, WireMessage message, Span<byte> frame)
    {
        new FrameHeader((uint)(frame.Length - FrameHeader.LengthPrefixSize), message.Kind, FormatVersion, clusterId).WriteTo(frame);
        var w = new Writer(frame[FrameHeader.Size..]);
        switch (message)
        {
            case BroadcastChangeset b:
                w.Changeset(b.Changeset);
                break;
            case SyncChangeset s:
                w.Changeset(s.Changeset);
                break;
            case SyncStateMessage s:
                w.SyncState(s.State);
                break;
            case SyncRequest r:
                w.SyncRequest(r);
                break;
            case SyncDone:
                break;
            case SyncReject r:
                w.U8((byte)r.Reason);
                w.String(r.Detail);
                break;
            case Ping p:
                w.I64(p.Nonce);
                break;
            case AppliedReport a:
                w.Actor(a.Reporter);
                w.Actor(a.Origin);
                w.I64(a.Version);
                break;
            default:
                throw new ArgumentException($"no encoding for {message.GetType().Name}", nameof(message));
        }
    }

    private static long MeasurePayload(WireMessage message) => message switch
    {
        BroadcastChangeset b => MeasureChangeset(b.Changeset),
        SyncChangeset s => MeasureChangeset(s.Changeset),
        SyncStateMessage s => MeasureSyncState(s.State),
        SyncRequest r => MeasureSyncRequest(r),
        SyncDone => 0,
        SyncReject r => 1 + MeasureString(r.Detail),
        Ping => 8,
        AppliedReport => ActorId.Size + ActorId.Size + 8,
        _ => throw new ArgumentException($"no encoding for {message.GetType().Name}", nameof(message)),
    };

    private static long MeasureString(string s) => 4 + Encoding.UTF8.GetByteCount(s);

    private static long MeasureValue(SqlValue v) => v.Kind switch
    {
        SqlValueKind.Null => 1,
        SqlValueKind.Integer or SqlValueKind.Real => 9,
        SqlValueKind.Text => 1 + MeasureString(v.AsText),
        _ => 1 + 4 + v.AsBlob.Length,
    };

    private static long MeasureChangeset(Changeset changeset)
    {
        switch (changeset)
        {
            case ChangesetEmpty:
                return 1 + ActorId.Size + RangeSize;
            case ChangesetFull full:
                long size = 1 + ActorId.Size + 8 + RangeSize + 8 + 8 + 4;
                for (var ci = 0; ci < full.Changes.Count; ci++)
                {
                    var c = full.Changes[ci];
                    size += MeasureString(c.Table) + 4 + MeasureString(c.Cid) + MeasureValue(c.Value) + 8 + 8 + ActorId.Size + 8 + 8;
                    for (var ki = 0; ki < c.Pk.Count; ki++)
                    {
                        var pk = c.Pk[ki];
                        size += MeasureValue(pk);
                    }
                }

                return size;
            default:
                throw new ArgumentException($"no encoding for {changeset.GetType().Name}", nameof(changeset));
        }
    }

    private static long MeasureSyncState(SyncState state)
    {
        long size = ActorId.Size + 4 + (state.Heads.Count * (ActorId.Size + 8L)) + 4 + 4;
        foreach (var (_, ranges) in state.Needs)
        {
            size += ActorId.Size + 4 + (ranges.Count * (long)RangeSize);
        }

        foreach (var (_, versions) in state.PartialNeeds)
        {
            size += ActorId.Size + 4;
            foreach (var (_, seqs) in versions)
            {
                size += 8 + 4 + (seqs.Count * (long)RangeSize);
            }
        }

        return size;
    }

    private static long MeasureSyncRequest(SyncRequest request)
    {
        long size = 4;
        for (var ni = 0; ni < request.Needs.Count; ni++)
        {
            var need = request.Needs[ni];
            size += ActorId.Size + 4 + (need.Versions.Count * (long)RangeSize) + 4;
            for (var pi = 0; pi < need.Partials.Count; pi++)
            {
                var p = need.Partials[pi];
                size += 8 + 4 + (p.Seqs.Count * (long)RangeSize);
            }
        }

        return size;
    }

    /// <summary>Writes primitives forward into a span measured in advance.</summary>
    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _pos;

        public void U8(byte value) => _buffer[_pos++] = value;

        public void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer[_pos..], value);
            _pos += 4;
        }

        public void Count(int count) => U32((uint)count);

        public void I64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer[_pos..], value);
            _pos += 8;
        }

        public void U64(ulong value)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer[_pos..], value);
            _pos += 8;
        }

        public void Actor(ActorId actor)
        {
            actor.WriteTo(_buffer[_pos..]);
            _pos += ActorId.Size;
        }

        public void String(string value)
        {
            var n = Encoding.UTF8.GetBytes(value, _buffer[(_pos + 4)..]);
            U32((uint)n);
            _pos += n;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Count(value.Length);
            value.CopyTo(_buffer[_pos..]);
            _pos += value.Length;
        }

        public void Range(long start, long end)
        {
            I64(start);
            I64(end);
        }

        public void Value(SqlValue v)
        {
            U8((byte)v.Kind);
            switch (v.Kind)
            {
                case SqlValueKind.Null:
                    break;
                case SqlValueKind.Integer:
                    I64(v.AsInteger);
                    break;
                case SqlValueKind.Real:
                    I64(BitConverter.DoubleToInt64Bits(v.AsReal));
                    break;
                case SqlValueKind.Text:
                    String(v.AsText);
                    break;
                default:
                    Bytes(v.AsBlob);
                    break;
            }
        }

        public void Changeset(Changeset changeset)
        {
            switch (changeset)
            {
                case ChangesetEmpty empty:
                    U8(ChangesetEmptyTag);
                    Actor(empty.Actor);
                    Range(empty.Versions.Start, empty.Versions.End);
                    break;
                case ChangesetFull full:
                    U8(ChangesetFullTag);
                    Actor(full.Actor);
                    I64(full.Version);
                    Range(full.Seqs.Start, full.Seqs.End);
                    I64(full.LastSeq);
                    U64(full.Timestamp);
                    Count(full.Changes.Count);
                    for (var ci = 0; ci < full.Changes.Count; ci++)
                    {
                        var c = full.Changes[ci];
                        Change(c);
                    }

                    break;
                default:
                    throw new ArgumentException($"no encoding for {changeset.GetType().Name}", nameof(changeset));
            }
        }

        private void Change(Change c)
        {
            String(c.Table);
            Count(c.Pk.Count);
            for (var ki = 0; ki < c.Pk.Count; ki++)
            {
                var pk = c.Pk[ki];
                Value(pk);
            }

            String(c.Cid);
            Value(c.Value);
            I64(c.ColVersion);
            I64(c.DbVersion);
            Actor(c.SiteId);
            I64(c.Cl);
            I64(c.Seq);
        }

        public void SyncState(SyncState state)
        {
            Actor(state.Actor);
            Count(state.Heads.Count);
            foreach (var (actor, head) in state.Heads)
            {
                Actor(actor);
                I64(head);
            }

            Count(state.Needs.Count);
            foreach (var (actor, ranges) in state.Needs)
            {
                Actor(actor);
                Count(ranges.Count);
                for (var ri = 0; ri < ranges.Count; ri++)
                {
                    var r = ranges[ri];
                    Range(r.Start, r.End);
                }
            }

            Count(state.PartialNeeds.Count);
            foreach (var (actor, versions) in state.PartialNeeds)
            {
                Actor(actor);
                Count(versions.Count);
                foreach (var (version, seqs) in versions)
                {
                    I64(version);
                    SeqRanges(seqs);
                }
            }
        }

        private void SeqRanges(IReadOnlyList<SeqRange> seqs)
        {
            Count(seqs.Count);
            for (var si = 0; si < seqs.Count; si++)
            {
                var s = seqs[si];
                Range(s.Start, s.End);
            }
        }

        public void SyncRequest(SyncRequest request)
        {
            Count(request.Needs.Count);
            for (var ni = 0; ni < request.Needs.Count; ni++)
            {
                var need = request.Needs[ni];
                Actor(need.Actor);
                Count(need.Versions.Count);
                for (var ri = 0; ri < need.Versions.Count; ri++)
                {
                    var r = need.Versions[ri];
                    Range(r.Start, r.End);
                }

                Count(need.Partials.Count);
                for (var pi = 0; pi < need.Partials.Count; pi++)
                {
                    var p = need.Partials[pi];
                    I64(p.Version);
                    SeqRanges(p.Seqs);
                }
            }
        }
    }
}
