using System.Text.Json.Nodes;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Admin;

/// <summary>
/// What the admin socket serves, each command a message to the node's actors (or, for a backup, a
/// read of the database beside them). Command names: <c>ping</c>, <c>backup</c>, <c>reload</c>,
/// <c>cluster.membership-states</c>, <c>cluster.rejoin</c>, <c>subs.list</c>, <c>subs.info</c>,
/// <c>log.set</c>, <c>log.reset</c>, <c>sync.reconcile-gaps</c>.
/// </summary>
public sealed partial class AdminCommands
{
    private readonly CorrosionNode _node;
    private readonly LogLevels? _logLevels;
    private readonly ILogger _log;
    private readonly TimeSpan _timeout;

    /// <summary>Creates the commands of a node.</summary>
    /// <param name="node">The running node.</param>
    /// <param name="logLevels">The log filter <c>log set</c> changes; null refuses <c>log</c> commands.</param>
    /// <param name="log">Where the node logs what operators did.</param>
    public AdminCommands(CorrosionNode node, LogLevels? logLevels, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _logLevels = logLevels;
        _log = log;
        _timeout = node.Options.Admin.CommandTimeout;
    }

    /// <summary>Starts the node's admin socket at <c>admin.path</c>; null when <c>admin.enabled</c> is false.</summary>
    public static async Task<AdminServer?> StartServerAsync(CorrosionNode node, LogLevels? logLevels, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var options = node.Options.Admin;
        if (!options.Enabled)
        {
            return null;
        }

        var log = loggerFactory.CreateLogger<AdminCommands>();
        var path = options.ResolvePath(node.Options.Db.Path);
        if (!AdminOptions.FitsKernelLimit(path))
        {
            LogPathTooLong(log, path, AdminOptions.MaxPathBytes);
            return null;
        }

        var commands = new AdminCommands(node, logLevels, log);
        return await AdminServer.StartAsync(path, options.FileMode, options.MaxFrameSize.Bytes, commands.HandleAsync, loggerFactory.CreateLogger<AdminServer>());
    }

    /// <summary>Runs one command.</summary>
    public Task HandleAsync(string command, JsonObject args, AdminReply reply, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(reply);
        return command switch
        {
            "ping" => reply.JsonAsync(new JsonObject { ["actor_id"] = _node.ActorId.ToString(), ["version"] = NodeConfiguration.ProductVersion }),
            "backup" => BackupAsync(RequiredString(args, "path"), reply, cancellationToken),
            "reload" => ReloadAsync(reply, cancellationToken),
            "cluster.membership-states" => MembershipStatesAsync(reply, cancellationToken),
            "cluster.rejoin" => RejoinAsync(reply, cancellationToken),
            "subs.list" => SubsListAsync(reply, cancellationToken),
            "subs.info" => SubsInfoAsync(RequiredString(args, "id"), reply, cancellationToken),
            "log.set" => LogSetAsync(RequiredString(args, "filter"), reply),
            "log.reset" => LogResetAsync(reply),
            "sync.reconcile-gaps" => ReconcileGapsAsync(reply, cancellationToken),
            _ => throw new AdminCommandException($"unknown admin command \"{command}\""),
        };
    }

    private static string RequiredString(JsonObject args, string name) =>
        args[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new AdminCommandException($"argument \"{name}\" (a non-empty string) is missing");

    private async Task BackupAsync(string path, AdminReply reply, CancellationToken cancellationToken)
    {
        if (!System.IO.Path.IsPathFullyQualified(path))
        {
            throw new AdminCommandException($"backup path {path} must be absolute (the node's working directory is not the CLI's)");
        }

        DatabaseBackup.BackupResult result;
        try
        {
            result = await DatabaseBackup.BackupAsync(_node.Options.Db.Path, path, reply.ProgressAsync, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqlException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new AdminCommandException($"backup to {path} failed, nothing written: {e.Message}", e);
        }

        LogBackup(_log, result.Path, result.Bytes, result.SourceVersion);
        await reply.JsonAsync(new JsonObject
        {
            ["path"] = result.Path,
            ["pages"] = result.Pages,
            ["bytes"] = result.Bytes,
            ["actor_id"] = result.SourceActor.ToString(),
            ["version"] = result.SourceVersion,
        });
    }

    private async Task ReloadAsync(AdminReply reply, CancellationToken cancellationToken)
    {
        var outcome = await _node.Actors.Storage.Ask<SchemaReloadOutcome>(r => new ReloadSchema(r), _timeout, cancellationToken);
        if (outcome.Error is { } error)
        {
            throw new AdminCommandException($"schema not reloaded, nothing applied: {error}");
        }

        LogReloaded(_log, outcome.Steps.Count);
        var certificates = "not configured";
        try
        {
            if (_node.Transport?.ReloadCertificates() == true)
            {
                certificates = "reloaded";
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new AdminCommandException($"schema reloaded ({outcome.Steps.Count} statements applied), but the gossip certificates were not (the old ones stay in use): {e.Message}", e);
        }

        await reply.JsonAsync(new JsonObject
        {
            ["applied"] = new JsonArray([.. outcome.Steps.Select(s => JsonValue.Create(s))]),
            ["tables"] = new JsonArray([.. outcome.Tables.Select(t => JsonValue.Create(t))]),
            ["certificates"] = certificates,
        });
    }

    private ActorRef<MembershipCommand> Membership =>
        _node.Actors.Membership ?? throw new AdminCommandException("membership is not running on this node (replication is off)");

    private async Task MembershipStatesAsync(AdminReply reply, CancellationToken cancellationToken)
    {
        var snapshot = await Membership.Ask<MembersSnapshot>(r => new GetMembers(r), _timeout, cancellationToken);
        await reply.JsonAsync(new JsonObject
        {
            ["self"] = Member(snapshot.Self),
            ["members"] = new JsonArray([.. snapshot.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(Member)]),
            ["packets_received"] = snapshot.PacketsReceived,
            ["packets_rejected"] = snapshot.PacketsRejected,
            ["datagrams_dropped"] = snapshot.DatagramsDropped,
        });
    }

    private static JsonObject Member(MemberInfo member) => new()
    {
        ["id"] = member.Id.ToString(),
        ["addr"] = member.Address.ToString(),
        ["state"] = member.State.ToString().ToLowerInvariant(),
        ["incarnation"] = member.Incarnation,
        ["cluster_id"] = member.Identity.ClusterId,
        ["started_at_ms"] = member.Identity.StartedAtMs,
        ["rtt_ms"] = member.LastRttMs,
    };

    private async Task RejoinAsync(AdminReply reply, CancellationToken cancellationToken)
    {
        var outcome = await Membership.Ask<RejoinOutcome>(r => new Rejoin(r), _timeout, cancellationToken);
        if (outcome.KnownMembers == 0 && outcome.BootstrapEntries == 0)
        {
            throw new AdminCommandException("nothing to rejoin through: this node knows no member and membership.bootstrap is empty");
        }

        LogRejoin(_log, outcome.KnownMembers, outcome.BootstrapEntries);
        await reply.JsonAsync(new JsonObject { ["announced_to_members"] = outcome.KnownMembers, ["bootstrap_entries"] = outcome.BootstrapEntries });
    }

    private ActorRef<SubscriptionCommand> Subscriptions =>
        _node.Actors.Subscriptions ?? throw new AdminCommandException("live queries are not running on this node");

    private async Task SubsListAsync(AdminReply reply, CancellationToken cancellationToken)
    {
        var all = await Subscriptions.Ask<IReadOnlyList<SubscriptionInfo>>(r => new ListSubscriptions(r), _timeout, cancellationToken);
        await reply.JsonAsync(new JsonArray([.. all.Select(Info)]));
    }

    private async Task SubsInfoAsync(string id, AdminReply reply, CancellationToken cancellationToken)
    {
        var outcome = await Subscriptions.Ask<SubscriptionInfoOutcome>(r => new GetSubscriptionInfo(id, r), _timeout, cancellationToken);
        if (outcome.Info is not { } info)
        {
            throw new AdminCommandException(outcome.Error?.Message ?? $"no subscription {id}");
        }

        await reply.JsonAsync(Info(info));
    }

    private static JsonObject Info(SubscriptionInfo info) => new()
    {
        ["id"] = info.Id,
        ["sql"] = info.Sql,
        ["strategy"] = info.Strategy.ToString().ToLowerInvariant(),
        ["reason"] = info.Reason,
        ["tables"] = new JsonArray([.. info.Tables.Select(t => new JsonObject { ["table"] = t.Table, ["incremental"] = t.Incremental, ["reason"] = t.Reason })]),
        ["listeners"] = info.Listeners,
        ["rows"] = info.Rows,
        ["last_change_id"] = info.LastChangeId,
        ["pending_keys"] = info.PendingKeys,
        ["evaluating"] = info.Evaluating,
        ["last_evaluation"] = info.LastEvaluation?.ToString().ToLowerInvariant(),
        ["last_evaluation_reason"] = info.LastEvaluationReason,
        ["evaluations"] = new JsonObject { ["keyed"] = info.KeyedEvaluations, ["full"] = info.FullEvaluations, ["skipped"] = info.SkippedEvaluations },
    };

    private LogLevels Levels => _logLevels ?? throw new AdminCommandException("this node's log levels cannot be changed (it was not started by `corrosion agent`)");

    private Task LogSetAsync(string filter, AdminReply reply)
    {
        try
        {
            Levels.Set(filter);
        }
        catch (ArgumentException e)
        {
            throw new AdminCommandException(e.Message, e);
        }

        LogLevelsChanged(_log, Levels.Current);
        return reply.JsonAsync(new JsonObject { ["filter"] = Levels.Current });
    }

    private Task LogResetAsync(AdminReply reply)
    {
        Levels.Reset();
        LogLevelsChanged(_log, Levels.Current);
        return reply.JsonAsync(new JsonObject { ["filter"] = Levels.Current });
    }

    private async Task ReconcileGapsAsync(AdminReply reply, CancellationToken cancellationToken)
    {
        var outcome = await _node.Actors.Storage.Ask<GapsReconciled>(r => new ReconcileGaps(r), _timeout, cancellationToken);
        var syncing = false;
        if (outcome.After > 0 && _node.Actors.Gossip is { } gossip)
        {
            gossip.Tell(SyncNow.Instance);
            syncing = true;
        }

        var needs = new JsonObject();
        foreach (var (actor, ranges) in outcome.Needs.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            needs[actor] = new JsonArray([.. ranges.Select(r => JsonValue.Create(r))]);
        }

        await reply.JsonAsync(new JsonObject { ["gaps_before"] = outcome.Before, ["gaps_after"] = outcome.After, ["needs"] = needs, ["sync_started"] = syncing });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "no admin socket: its default path {Path} is longer than the {Max} bytes a Unix socket path may have; set admin.path to a shorter one")]
    private static partial void LogPathTooLong(ILogger logger, string path, int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "admin: backup written to {Path} ({Bytes} bytes, up to version {Version})")]
    private static partial void LogBackup(ILogger logger, string path, long bytes, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "admin: schema reloaded, {Steps} statements applied")]
    private static partial void LogReloaded(ILogger logger, int steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "admin: rejoining through {Members} known members and {Bootstrap} bootstrap entries")]
    private static partial void LogRejoin(ILogger logger, int members, int bootstrap);

    [LoggerMessage(Level = LogLevel.Warning, Message = "admin: log filter is now \"{Filter}\"")]
    private static partial void LogLevelsChanged(ILogger logger, string filter);
}
