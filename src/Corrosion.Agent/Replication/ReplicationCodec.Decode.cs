using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

public static partial class ReplicationCodec
{
    private const int MinChangeSize = 4 + 4 + 4 + 1 + 8 + 8 + ActorId.Size + 8 + 8;

    private static DecodeResult Decode(ReadOnlySpan<byte> frame, ushort? expectedClusterId)
    {
        if (!FrameHeader.TryRead(frame, out var header))
        {
            return DecodeResult.Fail(DecodeError.Truncated, default, $"a frame needs at least {FrameHeader.Size} bytes, got {frame.Length}");
        }

        if (header.Length < FrameHeader.MinLength)
        {
            return DecodeResult.Fail(DecodeError.LengthMismatch, header, $"length field {header.Length} is below the minimum {FrameHeader.MinLength}");
        }

        if (header.FrameSize > frame.Length)
        {
            return DecodeResult.Fail(DecodeError.Truncated, header, $"length field announces {header.FrameSize} bytes, got {frame.Length}");
        }

        if (header.FrameSize < frame.Length)
        {
            return DecodeResult.Fail(DecodeError.LengthMismatch, header, $"length field announces {header.FrameSize} bytes, got {frame.Length}");
        }

        if (header.Version != FormatVersion)
        {
            return DecodeResult.Fail(
                DecodeError.UnsupportedVersion,
                header,
                $"unsupported wire format version {header.Version} (this node speaks version {FormatVersion}); the peer runs a different release");
        }

        if (expectedClusterId is { } expected && header.ClusterId != expected)
        {
            return DecodeResult.Fail(DecodeError.ForeignCluster, header, $"frame of cluster {header.ClusterId}, this node is in cluster {expected}");
        }

        var r = new Reader(frame[FrameHeader.Size..]);
        WireMessage? message = header.Kind switch
        {
            FrameKind.Broadcast => r.Changeset() is { } c ? new BroadcastChangeset(c) : null,
            FrameKind.SyncChangeset => r.Changeset() is { } c ? new SyncChangeset(c) : null,
            FrameKind.SyncState => r.SyncState() is { } s ? new SyncStateMessage(s) : null,
            FrameKind.SyncRequest => r.SyncRequest(),
            FrameKind.SyncDone => SyncDone.Instance,
            FrameKind.SyncReject => r.SyncReject(),
            FrameKind.Ping => new Ping(r.I64()),
            FrameKind.Applied => new AppliedReport(r.Actor(), r.Actor(), r.I64()),
            _ => null,
        };

        if (message is null && r.Error is null)
        {
            return DecodeResult.Fail(DecodeError.UnknownKind, header, $"unknown frame kind {(byte)header.Kind}");
        }

        if (r.Error is null && r.Remaining > 0)
        {
            r.Fail($"{r.Remaining} bytes left over after the {header.Kind} payload");
        }

        return r.Error is { } error
            ? DecodeResult.Fail(DecodeError.Malformed, header, $"{header.Kind}: {error}")
            : new DecodeResult(DecodeError.None, message, header, null);
    }

    /// <summary>
    /// Reads primitives forward. The first failure sticks: later reads return defaults and counts
    /// return zero, so a bad frame is walked at most once and never allocates more than it holds.
    /// </summary>
    private ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _pos;

        public string? Error { get; private set; }

        public readonly int Remaining => _buffer.Length - _pos;

        public void Fail(string reason) => Error ??= reason;

        private bool Take(int n, out ReadOnlySpan<byte> span)
        {
            if (Error is not null || n > Remaining)
            {
                Fail($"truncated payload at offset {_pos}");
                span = default;
                return false;
            }

            span = _buffer.Slice(_pos, n);
            _pos += n;
            return true;
        }

        public byte U8() => Take(1, out var s) ? s[0] : (byte)0;

        public uint U32() => Take(4, out var s) ? BinaryPrimitives.ReadUInt32LittleEndian(s) : 0;

        public long I64() => Take(8, out var s) ? BinaryPrimitives.ReadInt64LittleEndian(s) : 0;

        public ulong U64() => Take(8, out var s) ? BinaryPrimitives.ReadUInt64LittleEndian(s) : 0;

        public ActorId Actor() => Take(ActorId.Size, out var s) ? ActorId.FromBytes(s) : default;

        /// <summary>A count of elements that each take at least <paramref name="minElementSize"/> bytes.</summary>
        public int Count(int minElementSize)
        {
            var count = U32();
            if (Error is not null)
            {
                return 0;
            }

            if (count > (uint)(Remaining / minElementSize))
            {
                Fail($"count {count} cannot fit in the {Remaining} bytes left");
                return 0;
            }

            return (int)count;
        }

        public string String()
        {
            var length = Count(1);
            if (!Take(length, out var s))
            {
                return string.Empty;
            }

            if (!Utf8.IsValid(s))
            {
                Fail($"invalid UTF-8 text before offset {_pos}");
                return string.Empty;
            }

            return Encoding.UTF8.GetString(s);
        }

        public SqlValue Value()
        {
            var tag = U8();
            switch ((SqlValueKind)tag)
            {
                case SqlValueKind.Null:
                    return SqlValue.Null;
                case SqlValueKind.Integer:
                    return SqlValue.FromInteger(I64());
                case SqlValueKind.Real:
                    return SqlValue.FromReal(BitConverter.Int64BitsToDouble(I64()));
                case SqlValueKind.Text:
                    return SqlValue.FromText(String());
                case SqlValueKind.Blob:
                    var length = Count(1);
                    return Take(length, out var s) ? SqlValue.FromBlob(s.ToArray()) : SqlValue.Null;
                default:
                    Fail($"unknown value tag {tag}");
                    return SqlValue.Null;
            }
        }

        private (long Start, long End) Range(string what)
        {
            var start = I64();
            var end = I64();
            if (Error is null && (start < 0 || start > end))
            {
                Fail($"invalid {what} range {start}..{end}");
            }

            return (start, end);
        }

        public VersionRange VersionRange()
        {
            var (start, end) = Range("version");
            return new VersionRange(start, end);
        }

        public SeqRange SeqRange()
        {
            var (start, end) = Range("seq");
            return new SeqRange(start, end);
        }

        private SeqRange[] SeqRanges()
        {
            var n = Count(RangeSize);
            var seqs = new SeqRange[n];
            for (var i = 0; i < n; i++)
            {
                seqs[i] = SeqRange();
            }

            return seqs;
        }

        private VersionRange[] VersionRanges()
        {
            var n = Count(RangeSize);
            var ranges = new VersionRange[n];
            for (var i = 0; i < n; i++)
            {
                ranges[i] = VersionRange();
            }

            return ranges;
        }

        public Changeset? Changeset()
        {
            var tag = U8();
            var actor = Actor();
            if (Error is not null)
            {
                return null;
            }

            switch (tag)
            {
                case ChangesetEmptyTag:
                    var versions = VersionRange();
                    return Error is null ? new ChangesetEmpty(actor, versions) : null;
                case ChangesetFullTag:
                    var version = I64();
                    var seqs = SeqRange();
                    var lastSeq = I64();
                    var timestamp = U64();
                    if (Error is null && seqs.End > lastSeq)
                    {
                        Fail($"chunk {seqs} ends past the last seq {lastSeq}");
                    }

                    var n = Count(MinChangeSize);
                    var changes = new Change[n];
                    for (var i = 0; i < n && Error is null; i++)
                    {
                        changes[i] = Change();
                    }

                    return Error is null ? new ChangesetFull(actor, version, changes, seqs, lastSeq, timestamp) : null;
                default:
                    Fail($"unknown changeset tag {tag}");
                    return null;
            }
        }

        private Change Change()
        {
            var table = String();
            var pkCount = Count(1);
            var pk = new SqlValue[pkCount];
            for (var i = 0; i < pkCount; i++)
            {
                pk[i] = Value();
            }

            var cid = String();
            var value = Value();
            var colVersion = I64();
            var dbVersion = I64();
            var siteId = Actor();
            var cl = I64();
            var seq = I64();
            return new Change(table, pk, cid, value, colVersion, dbVersion, siteId, cl, seq);
        }

        public SyncState? SyncState()
        {
            var self = Actor();
            var headCount = Count(ActorId.Size + 8);
            var heads = new Dictionary<ActorId, long>(headCount);
            for (var i = 0; i < headCount && Error is null; i++)
            {
                var actor = Actor();
                if (!heads.TryAdd(actor, I64()))
                {
                    Fail($"actor {actor} appears twice in heads");
                }
            }

            var needCount = Count(ActorId.Size + 4);
            var needs = new Dictionary<ActorId, IReadOnlyList<VersionRange>>(needCount);
            for (var i = 0; i < needCount && Error is null; i++)
            {
                var actor = Actor();
                if (!needs.TryAdd(actor, VersionRanges()))
                {
                    Fail($"actor {actor} appears twice in needs");
                }
            }

            var partialCount = Count(ActorId.Size + 4);
            var partials = new Dictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>>(partialCount);
            for (var i = 0; i < partialCount && Error is null; i++)
            {
                var actor = Actor();
                var versionCount = Count(8 + 4);
                var versions = new Dictionary<long, IReadOnlyList<SeqRange>>(versionCount);
                for (var j = 0; j < versionCount && Error is null; j++)
                {
                    var version = I64();
                    if (!versions.TryAdd(version, SeqRanges()))
                    {
                        Fail($"version {version} of {actor} appears twice in partial needs");
                    }
                }

                if (!partials.TryAdd(actor, versions))
                {
                    Fail($"actor {actor} appears twice in partial needs");
                }
            }

            return Error is null ? new SyncState(self, heads, needs, partials) : null;
        }

        public SyncRequest? SyncRequest()
        {
            var count = Count(ActorId.Size + 4 + 4);
            var needs = new SyncNeed[count];
            for (var i = 0; i < count && Error is null; i++)
            {
                var actor = Actor();
                var versions = VersionRanges();
                var partialCount = Count(8 + 4);
                var partials = new PartialNeed[partialCount];
                for (var j = 0; j < partialCount && Error is null; j++)
                {
                    var version = I64();
                    partials[j] = new PartialNeed(version, SeqRanges());
                }

                needs[i] = new SyncNeed(actor, versions, partials);
            }

            return Error is null ? new SyncRequest(needs) : null;
        }

        public SyncReject? SyncReject()
        {
            var reason = U8();
            var detail = String();
            // Reasons unknown to this release are kept as numbers: still a refusal, and re-encoding is exact.
            return Error is null ? new SyncReject((SyncRejectReason)reason, detail) : null;
        }
    }
}
