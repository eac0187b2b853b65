namespace Sluice.Accounts;

/// <summary>The role matrix's rules for changing principals, one place for keys and members alike: nobody grants a
/// role above their own, nor changes or removes a principal whose role is above their own.</summary>
public static class RoleRules
{
    /// <summary>Managing keys, members and invitations needs at least this role.</summary>
    public const KeyRole ManagePrincipals = KeyRole.Admin;

    /// <summary>Binding the account's members to a tenant or email domain (<see cref="MemberBoundary"/>) needs at least this role.</summary>
    public const KeyRole ChangeMemberBoundary = KeyRole.Admin;

    /// <summary>The account's data (usage, stored requests and their content, the export) and its data settings
    /// (retention, data policy, erasure) need at least this role, through the API and the dashboard alike.</summary>
    public const KeyRole AccountData = KeyRole.Admin;

    /// <summary>Closing the account is the Owner's alone.</summary>
    public const KeyRole CloseAccount = KeyRole.Owner;

    public static bool MayGrant(KeyRole actor, KeyRole role) => role <= actor;

    public static bool MayChange(KeyRole actor, KeyRole target) => target <= actor;
}
