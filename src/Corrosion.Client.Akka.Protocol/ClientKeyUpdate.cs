namespace Corrosion.Client.Akka.Protocol;

/// <summary>A changed primary key.</summary>
/// <param name="Deleted">True when the row was deleted, false when inserted or updated.</param>
/// <param name="Pk">The key's values.</param>
public sealed record ClientKeyUpdate(bool Deleted, IReadOnlyList<ClientValue> Pk);
