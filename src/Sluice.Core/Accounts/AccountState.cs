namespace Sluice.Accounts;

/// <summary>
/// The lifecycle an account moves through. <see cref="Expired"/> is the "closed" state: entered at once on a
/// voluntary closure, or when a suspension's grace period ends; its data is kept for the expired-retention
/// period and then purged. A purged account is a tombstone: id and dates only.
/// </summary>
public enum AccountState
{
    Active,
    Suspended,
    Expired,
    Purged,
}

public static class AccountStateNames
{
    public static string ToWire(this AccountState state) => state switch
    {
        AccountState.Active => "active",
        AccountState.Suspended => "suspended",
        AccountState.Expired => "expired",
        AccountState.Purged => "purged",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Parses a stored state; an unknown value is corrupt data, never silently read as "active".</summary>
    public static AccountState Parse(string? value) =>
        TryParse(value, out var state) ? state : throw new InvalidDataException("An account row has an unknown state.");

    public static bool TryParse(string? value, out AccountState state)
    {
        state = value switch
        {
            "active" => AccountState.Active,
            "suspended" => AccountState.Suspended,
            "expired" or "closed" => AccountState.Expired,
            "purged" => AccountState.Purged,
            _ => (AccountState)(-1),
        };
        return Enum.IsDefined(state);
    }
}
