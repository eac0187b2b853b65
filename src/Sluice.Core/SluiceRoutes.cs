namespace Sluice;

/// <summary>
/// Route templates shared by both hosts. The Functions app uses them without the leading slash
/// (its <c>routePrefix</c> is empty); the local host maps them as they are.
/// </summary>
public static class SluiceRoutes
{
    public const string ChatCompletions = "v1/chat/completions";
    public const string Models = "v1/models";

    public const string Responses = "v1/responses";
    public const string Response = "v1/responses/{responseId}";
    public const string ResponseInputItems = "v1/responses/{responseId}/input_items";
    public const string ResponseInputTokens = "v1/responses/input_tokens";

    public const string Usage = "v1/usage";
    public const string Audit = "v1/audit";
    public const string Keys = "v1/keys";
    public const string Key = "v1/keys/{keyId}";
    public const string Account = "v1/account";
    public const string AccountClose = "v1/account/close";
    public const string AccountRetention = "v1/account/retention";
    public const string AccountDataPolicy = "v1/account/data-policy";
    public const string AccountIpAllowlist = "v1/account/ip-allowlist";
    public const string AccountContent = "v1/account/content";
    public const string AccountExport = "v1/account/export";
    public const string StoredRequest = "v1/requests/{requestId}";

    public const string OperatorAccounts = "operator/accounts";
    public const string OperatorAccount = "operator/accounts/{accountId}";
    public const string OperatorAccountKeys = "operator/accounts/{accountId}/keys";
    public const string OperatorSuspend = "operator/accounts/{accountId}/suspend";
    public const string OperatorReinstate = "operator/accounts/{accountId}/reinstate";
    public const string OperatorReopen = "operator/accounts/{accountId}/reopen";
    public const string OperatorLegalHold = "operator/accounts/{accountId}/legal-hold";
    public const string OperatorPurge = "operator/purge";

    /// <summary>Anonymous: whether storage answers (no account data).</summary>
    public const string Health = "health";

    /// <summary>Every path no other route serves, for every method: an OpenAI-shaped 404 (<c>unknown_url</c>).</summary>
    public const string UnknownUrl = "{*path}";
}
