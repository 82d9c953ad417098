namespace Corrosion.Agent.Api;

/// <summary>What a token may do; each scope includes the ones below it.</summary>
public enum ApiScope
{
    /// <summary>Queries, subscriptions, updates, health, table stats.</summary>
    Read = 1,

    /// <summary>Read, plus transactions.</summary>
    Write = 2,

    /// <summary>Write, plus members, sync state and admin operations.</summary>
    Admin = 3,
}
