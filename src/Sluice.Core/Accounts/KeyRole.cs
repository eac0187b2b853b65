namespace Sluice.Accounts;

/// <summary>
/// The role a gateway key acts with. Developer and Restricted keys call models (Restricted only those its key
/// allows); Admin and Owner also see usage, settings, audit and export; only the Owner closes the account.
/// </summary>
public enum KeyRole
{
    Restricted,
    Developer,
    Admin,
    Owner,
}

internal static class KeyRoleNames
{
    public static string ToWire(this KeyRole role) => role switch
    {
        KeyRole.Owner => "owner",
        KeyRole.Admin => "admin",
        KeyRole.Developer => "developer",
        KeyRole.Restricted => "restricted",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static KeyRole Parse(string? value) =>
        TryParse(value, out var role) ? role : throw new InvalidDataException("A key row has an unknown role.");

    public static bool TryParse(string? value, out KeyRole role)
    {
        switch (value)
        {
            case "owner": role = KeyRole.Owner; return true;
            case "admin": role = KeyRole.Admin; return true;
            case "developer": role = KeyRole.Developer; return true;
            case "restricted": case "restricted_access": role = KeyRole.Restricted; return true;
            default: role = default; return false;
        }
    }
}
