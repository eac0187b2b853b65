namespace Sluice.Accounts;

/// <summary>An account just created, with its first (Owner) key: the secret is in <see cref="OwnerKey"/>, shown once.</summary>
public sealed record NewAccount(Account Account, CreatedKey OwnerKey);
