using System.Collections.Concurrent;
using Corrosion.Agent.Storage;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// The caller of a request (set by the API's authorization step) and the table checks of
/// table-restricted tokens: SQLite's authorizer reports what a statement touches (see
/// <see cref="CrdtStore.CheckTableAccess"/>); a table outside the token's list answers 403.
/// </summary>
internal sealed class ApiAccess
{
    private const int MaxRememberedSubscriptions = 100_000;

    // Subscription id → the tables its statement reads, learnt when it was created through this API,
    // so a table-restricted token may attach only to subscriptions within its tables.
    private readonly ConcurrentDictionary<string, IReadOnlySet<string>> _subscriptionTables = new(StringComparer.Ordinal);

    // The caller is a request feature, set only for a named token: without tokens (every caller open) a request
    // allocates nothing for it (http.Items made a dictionary per request).
    public static void SetCaller(HttpContext http, ApiToken token)
    {
        if (!ReferenceEquals(token, ApiToken.Open))
        {
            http.Features.Set(token);
        }
    }

    public static ApiToken Caller(HttpContext http) => http.Features.Get<ApiToken>() ?? ApiToken.Open;

    /// <summary>Refuses statements that touch a table the caller may not use; returns the tables touched (null for unrestricted callers).</summary>
    public static IReadOnlySet<string>? CheckStatements(HttpContext http, ApiContext api, IReadOnlyList<Statement> statements)
    {
        var caller = Caller(http);
        if (caller.Tables is null)
        {
            return null;
        }

        try
        {
            return api.Store.CheckTableAccess(statements, caller.MayUse);
        }
        catch (TableAccessException e)
        {
            throw new TableAccessException($"token \"{caller.Name}\": {e.Message}", e);
        }
        catch (SqlException e)
        {
            throw new ApiInputException(e.Message, e);
        }
    }

    /// <summary>Refuses a table the caller may not use.</summary>
    public static void CheckTable(HttpContext http, string table)
    {
        var caller = Caller(http);
        if (!caller.MayUse(table))
        {
            throw new TableAccessException($"token \"{caller.Name}\": this token may not use table {table}");
        }
    }

    public void RememberSubscription(string queryId, IReadOnlySet<string> tables)
    {
        if (_subscriptionTables.Count >= MaxRememberedSubscriptions)
        {
            _subscriptionTables.Clear();
        }

        _subscriptionTables[queryId] = tables;
    }

    /// <summary>Refuses attaching a table-restricted caller to a subscription not known to read only its tables.</summary>
    public void CheckSubscription(HttpContext http, string queryId)
    {
        var caller = Caller(http);
        if (caller.Tables is null)
        {
            return;
        }

        if (!_subscriptionTables.TryGetValue(queryId, out var tables))
        {
            throw new TableAccessException(
                $"token \"{caller.Name}\" is restricted to tables and this node does not know which tables subscription {queryId} reads; subscribe again with POST /v1/subscriptions (the same statement gets the same id)");
        }

        if (tables.FirstOrDefault(t => !caller.MayUse(t)) is { } forbidden)
        {
            CheckTable(http, forbidden);
        }
    }
}
