using Microsoft.AspNetCore.Http;
using Sluice.Wire;

namespace Sluice.Accounts;

/// <summary>Authentication for the account-data endpoints: a key of the account, with at least the Admin role.
/// Tenant isolation follows from it: every query these endpoints make starts from the caller's own account id.</summary>
internal static class AdminCaller
{
    public static async Task<(Caller? Caller, ApiError? Error)> AuthenticateAsync(GatewayAuthenticator authenticator, HttpContext context,
        CallerPurpose purpose, string what)
    {
        var (caller, error) = await authenticator.AuthenticateAsync(context, purpose);
        if (caller is null)
        {
            return (null, error);
        }
        return caller.IsAtLeast(KeyRole.Admin)
            ? (caller, null)
            : (null, ApiError.Forbidden("insufficient_role", $"Only Owner and Admin keys can {what}."));
    }
}
