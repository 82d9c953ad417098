using System.Diagnostics;
using Akka.Actor;
using Corrosion.Agent.Storage;
using Corrosion.Client.Akka.Protocol;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.ClientGateway;

/// <summary>
/// Streams one read-only query's rows to a client's actor in acknowledged chunks. The read
/// connection is held until the last row is read or the stream ends (receiver gone, cancelled, cut off).
/// </summary>
internal sealed class QueryStreamActor : ClientStreamActor
{
    private readonly QueryResult _result;
    private readonly IEnumerator<QueryRow> _rows;
    private readonly long _started = Stopwatch.GetTimestamp();

    public QueryStreamActor(QueryResult result, IActorRef receiver, ClientStreamSettings settings)
        : base(receiver, settings)
    {
        _result = result;
        _rows = result.Rows.GetEnumerator();
    }

    /// <param name="result">The opened query (the actor disposes it).</param>
    /// <param name="receiver">The client's actor.</param>
    /// <param name="settings">Batch size and window.</param>
    public static Props Props(QueryResult result, IActorRef receiver, ClientStreamSettings settings) =>
        Akka.Actor.Props.Create(() => new QueryStreamActor(result, receiver, settings));

    protected override void PreStart()
    {
        base.PreStart();
        Send(new QueryStarted([.. _result.Columns]));
        Pump();
    }

    protected override void Pump()
    {
        while (HasRoom)
        {
            var batch = new List<ClientRow>(Math.Min(Settings.BatchRows, 1024));
            var more = true;
            try
            {
                while (batch.Count < Settings.BatchRows && (more = _rows.MoveNext()))
                {
                    batch.Add(new ClientRow(_rows.Current.RowId, ClientValues.ToClient(_rows.Current.Cells)));
                }
            }
            catch (Exception e) when (e is SqlException or SqliteException)
            {
                Fail(new ClientError(ClientErrorCode.BadRequest, e.Message));
                return;
            }

            if (batch.Count > 0)
            {
                SendBatch(seq => new QueryRows(seq, batch));
            }

            if (!more)
            {
                Send(new QueryEnd(Stopwatch.GetElapsedTime(_started).TotalSeconds));
                Context.Stop(Self);
                return;
            }
        }
    }

    protected override void PostStop()
    {
        _rows.Dispose();
        _result.Dispose();
    }
}
