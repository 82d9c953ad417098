using System.Buffers.Binary;
using System.Text;

namespace Corrosion.Agent.Storage;

/// <summary>Packs a list of SQL values into one blob (primary keys of buffered changes).</summary>
internal static class ValueCodec
{
    public static byte[] Encode(IReadOnlyList<SqlValue> values)
    {
        using var stream = new MemoryStream();
        Span<byte> buffer = stackalloc byte[8];
        stream.WriteByte((byte)values.Count);
        foreach (var v in values)
        {
            stream.WriteByte((byte)v.Kind);
            switch (v.Kind)
            {
                case SqlValueKind.Integer:
                    BinaryPrimitives.WriteInt64LittleEndian(buffer, v.AsInteger);
                    stream.Write(buffer);
                    break;
                case SqlValueKind.Real:
                    BinaryPrimitives.WriteDoubleLittleEndian(buffer, v.AsReal);
                    stream.Write(buffer);
                    break;
                case SqlValueKind.Text or SqlValueKind.Blob:
                    var bytes = v.Kind == SqlValueKind.Text ? Encoding.UTF8.GetBytes(v.AsText) : v.AsBlob;
                    BinaryPrimitives.WriteInt32LittleEndian(buffer, bytes.Length);
                    stream.Write(buffer[..4]);
                    stream.Write(bytes);
                    break;
            }
        }

        return stream.ToArray();
    }

    public static SqlValue[] Decode(ReadOnlySpan<byte> data)
    {
        var values = new SqlValue[data[0]];
        var at = 1;
        for (var i = 0; i < values.Length; i++)
        {
            var kind = (SqlValueKind)data[at++];
            switch (kind)
            {
                case SqlValueKind.Integer:
                    values[i] = SqlValue.FromInteger(BinaryPrimitives.ReadInt64LittleEndian(data[at..]));
                    at += 8;
                    break;
                case SqlValueKind.Real:
                    values[i] = SqlValue.FromReal(BinaryPrimitives.ReadDoubleLittleEndian(data[at..]));
                    at += 8;
                    break;
                case SqlValueKind.Text or SqlValueKind.Blob:
                    var length = BinaryPrimitives.ReadInt32LittleEndian(data[at..]);
                    at += 4;
                    var bytes = data.Slice(at, length);
                    at += length;
                    values[i] = kind == SqlValueKind.Text ? SqlValue.FromText(Encoding.UTF8.GetString(bytes)) : SqlValue.FromBlob(bytes.ToArray());
                    break;
                default:
                    values[i] = SqlValue.Null;
                    break;
            }
        }

        return values;
    }
}
