namespace Sluice.Accounts;

/// <summary>
/// Why an operator suspends an account. A fixed list on purpose: the reason is shown to the customer in every 403
/// while the account is suspended, so it must be a category they can act on, never free text an operator typed
/// (that goes in the operator-only note).
/// </summary>
internal static class SuspensionReasons
{
    public const string NonPayment = "non_payment";
    public const string TermsViolation = "terms_violation";
    public const string Other = "other";

    public static bool IsKnown(string? reason) => reason is NonPayment or TermsViolation or Other;

    /// <summary>The reason as a customer reads it in an error message.</summary>
    public static string Describe(string? reason) => reason switch
    {
        NonPayment => "non-payment",
        TermsViolation => "a violation of the terms of service",
        _ => "a reason the operator will explain",
    };
}

/// <summary>Why an account entered <see cref="AccountState.Expired"/>.</summary>
internal static class ExpiryReasons
{
    public const string ClosedByOwner = "closed_by_owner";
    public const string SuspensionNotResolved = "suspension_not_resolved";
}
