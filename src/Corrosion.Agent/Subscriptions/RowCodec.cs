using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Packs a row of SQL values into a self-delimiting blob (for the subscription file and for row
/// keys): a varint count, then per value a kind byte and its payload.
/// </summary>
internal static class RowCodec
{
    public static byte[] Encode(IReadOnlyList<SqlValue> values, int? suffix = null)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + (values.Count * 9));
        WriteVarint(buffer, (ulong)values.Count);
        Span<byte> eight = stackalloc byte[8];
        foreach (var v in values)
        {
            buffer.Write([(byte)v.Kind]);
            switch (v.Kind)
            {
                case SqlValueKind.Integer:
                    BinaryPrimitives.WriteInt64LittleEndian(eight, v.AsInteger);
                    buffer.Write(eight);
                    break;
                case SqlValueKind.Real:
                    BinaryPrimitives.WriteDoubleLittleEndian(eight, v.AsReal);
                    buffer.Write(eight);
                    break;
                case SqlValueKind.Text:
                    var text = Encoding.UTF8.GetBytes(v.AsText);
                    WriteVarint(buffer, (ulong)text.Length);
                    buffer.Write(text);
                    break;
                case SqlValueKind.Blob:
                    var blob = v.AsBlob;
                    WriteVarint(buffer, (ulong)blob.Length);
                    buffer.Write(blob);
                    break;
            }
        }

        if (suffix is { } s)
        {
            // An occurrence number after a key's values; the count prefix keeps it unambiguous.
            WriteVarint(buffer, (ulong)s);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static SqlValue[] Decode(ReadOnlySpan<byte> data)
    {
        var at = 0;
        var count = (int)ReadVarint(data, ref at);
        var values = new SqlValue[count];
        for (var i = 0; i < count; i++)
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
                    var length = (int)ReadVarint(data, ref at);
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

    private static void WriteVarint(ArrayBufferWriter<byte> buffer, ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        var n = 0;
        while (value >= 0x80)
        {
            bytes[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        bytes[n++] = (byte)value;
        buffer.Write(bytes[..n]);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        var shift = 0;
        while (true)
        {
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }

            shift += 7;
        }
    }
}
