namespace Corrosion.Agent.Subscriptions;

/// <summary>What one evaluation of a live query did.</summary>
public enum EvaluationKind
{
    /// <summary>Nothing it reads changed, or the keyed check showed the change cannot affect it.</summary>
    Skipped,

    /// <summary>Only the rows of the changed keys were re-evaluated.</summary>
    Keyed,

    /// <summary>The whole query ran again.</summary>
    Full,
}
