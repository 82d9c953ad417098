namespace Corrosion.Agent.Subscriptions;

/// <summary>How a live query is brought up to date after a change (see <see cref="LiveQueryPlanner"/>).</summary>
public enum LiveQueryStrategy
{
    /// <summary>A change to any table it reads re-evaluates only the rows (or groups) of the changed keys.</summary>
    Incremental,

    /// <summary>Changes to some of its tables re-evaluate only the changed keys; changes to the others re-run the query.</summary>
    Partial,

    /// <summary>ORDER BY with LIMIT: a change that cannot reach the window is skipped after a keyed check; one that can re-runs the query.</summary>
    Window,

    /// <summary>Every change to a table it reads re-runs the whole query.</summary>
    FullRerun,
}
