using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Agent.ClientGateway;

/// <summary>Conversions between the client protocol's values and the store's.</summary>
internal static class ClientValues
{
    public static SqlValue ToSql(ClientValue? value) => value?.Kind switch
    {
        null or ClientValueKind.Null => SqlValue.Null,
        ClientValueKind.Integer => SqlValue.FromInteger(value.Integer),
        ClientValueKind.Real => SqlValue.FromReal(value.Real),
        ClientValueKind.Text => value.Text is null ? SqlValue.Null : SqlValue.FromText(value.Text),
        ClientValueKind.Blob => value.Blob is null ? SqlValue.Null : SqlValue.FromBlob(value.Blob),
        _ => throw new ArgumentException($"unknown value kind {value.Kind}"),
    };

    public static ClientValue ToClient(SqlValue value) => value.Kind switch
    {
        SqlValueKind.Integer => ClientValue.Of(value.AsInteger),
        SqlValueKind.Real => ClientValue.Of(value.AsReal),
        SqlValueKind.Text => ClientValue.Of(value.AsText),
        SqlValueKind.Blob => ClientValue.Of(value.AsBlob),
        _ => ClientValue.Null,
    };

    public static IReadOnlyList<ClientValue> ToClient(IReadOnlyList<SqlValue> cells)
    {
        var result = new ClientValue[cells.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = ToClient(cells[i]);
        }

        return result;
    }

    /// <exception cref="ArgumentException">a statement without SQL, or a value of unknown kind.</exception>
    public static Statement ToStatement(SqlStatement? statement)
    {
        if (statement is null || string.IsNullOrWhiteSpace(statement.Sql))
        {
            throw new ArgumentException("a statement needs SQL text");
        }

        return new Statement(
            statement.Sql,
            statement.Params?.Select(ToSql).ToArray(),
            statement.NamedParams?.ToDictionary(p => p.Key, p => ToSql(p.Value), StringComparer.Ordinal));
    }

    public static ClientChange ToClient(SubscriptionChange change) =>
        new(change.Kind switch
        {
            ChangeKind.Insert => ClientChangeKind.Insert,
            ChangeKind.Update => ClientChangeKind.Update,
            _ => ClientChangeKind.Delete,
        }, change.RowId, ToClient(change.Cells), change.ChangeId);

    public static ClientErrorCode ToCode(SubscriptionErrorKind kind) => kind switch
    {
        SubscriptionErrorKind.BadQuery => ClientErrorCode.BadRequest,
        SubscriptionErrorKind.NotFound => ClientErrorCode.NotFound,
        SubscriptionErrorKind.ChangeIdExpired => ClientErrorCode.ChangeIdExpired,
        _ => ClientErrorCode.Unavailable,
    };
}
