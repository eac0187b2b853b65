namespace Sluice.Wire;

/// <summary>
/// Route templates shared by both hosts. The Functions app uses them without the leading slash
/// (its <c>routePrefix</c> is empty); the local host maps them as they are.
/// </summary>
public static class SluiceRoutes
{
    public const string ChatCompletions = "v1/chat/completions";
    public const string Models = "v1/models";
    public const string Model = "v1/models/{id}";
    public const string Messages = "v1/messages";
    public const string MessagesCountTokens = "v1/messages/count_tokens";
    public const string Embeddings = "v1/embeddings";
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
    public const string AccountMemberBoundary = "v1/account/member-boundary";
    public const string AccountContent = "v1/account/content";
    public const string AccountExport = "v1/account/export";
    public const string AccountLimits = "v1/account/limits";
    public const string KeyLimits = "v1/keys/{keyId}/limits";
    public const string MemberLimits = "v1/members/{memberId}/limits";
    public const string StoredRequest = "v1/requests/{requestId}";

    public const string OperatorAccounts = "operator/accounts";
    public const string OperatorAccount = "operator/accounts/{accountId}";
    public const string OperatorAccountKeys = "operator/accounts/{accountId}/keys";
    public const string OperatorSuspend = "operator/accounts/{accountId}/suspend";
    public const string OperatorReinstate = "operator/accounts/{accountId}/reinstate";
    public const string OperatorReopen = "operator/accounts/{accountId}/reopen";
    public const string OperatorLegalHold = "operator/accounts/{accountId}/legal-hold";
    public const string OperatorPurge = "operator/purge";

    /// <summary>The dashboard for people: server-rendered pages under one prefix, to which every dashboard cookie is
    /// scoped (see docs/cookies.md). Signed out, it redirects to <see cref="DashboardSignIn"/>.</summary>
    public const string Dashboard = "dashboard";
    public const string DashboardSignIn = "dashboard/signin";
    /// <summary>POST (anti-forgery): starts the OpenID Connect sign-in at one configured provider.</summary>
    public const string DashboardSignInStart = "dashboard/signin/{provider}";
    /// <summary>The redirect URI registered at each identity provider: <c>{SLUICE_URL}/dashboard/signin/{provider}/callback</c>.</summary>
    public const string DashboardSignInCallback = "dashboard/signin/{provider}/callback";
    /// <summary>POST (anti-forgery): ends the session.</summary>
    public const string DashboardSignOut = "dashboard/signout";
    /// <summary>The dashboard's own stylesheet and other assets: nothing is loaded from anywhere else.</summary>
    public const string DashboardAsset = "dashboard/assets/{file}";

    /// <summary>One account the signed-in person is a member of: its state and the person's role.</summary>
    public const string DashboardAccount = "dashboard/accounts/{accountId}";
    public const string DashboardTeam = "dashboard/accounts/{accountId}/team";
    public const string DashboardTeamInvite = "dashboard/accounts/{accountId}/team/invite";
    public const string DashboardTeamMemberRole = "dashboard/accounts/{accountId}/team/members/{memberId}/role";
    public const string DashboardTeamMemberRemove = "dashboard/accounts/{accountId}/team/members/{memberId}/remove";
    public const string DashboardTeamBoundary = "dashboard/accounts/{accountId}/team/boundary";
    public const string DashboardTeamInvitationRevoke = "dashboard/accounts/{accountId}/team/invitations/{invitationId}/revoke";
    public const string DashboardInvitationAccept = "dashboard/accounts/{accountId}/invitations/{invitationId}/accept";

    /// <summary>The data export, as a download (POST: it is audited, so it takes an anti-forgery token).</summary>
    public const string DashboardExport = "dashboard/accounts/{accountId}/export";

    /// <summary>Settings → Policies: retention and data policy, each form saved by its own POST (anti-forgery).</summary>
    public const string DashboardPolicies = "dashboard/accounts/{accountId}/settings/policies";
    public const string DashboardPoliciesRetention = "dashboard/accounts/{accountId}/settings/policies/retention";
    public const string DashboardPoliciesDataPolicy = "dashboard/accounts/{accountId}/settings/policies/data-policy";

    /// <summary>Recent stored requests of a <c>retain_all</c> account, decrypted, newest first (<c>?before=</c> pages on).</summary>
    public const string DashboardRequests = "dashboard/accounts/{accountId}/requests";
    public const string DashboardRequestErase = "dashboard/accounts/{accountId}/requests/{requestId}/erase";

    /// <summary>Data: the export, withdrawing consent (erase all content) and closing the account.</summary>
    public const string DashboardData = "dashboard/accounts/{accountId}/data";
    public const string DashboardDataEraseContent = "dashboard/accounts/{accountId}/data/erase-content";
    public const string DashboardDataClose = "dashboard/accounts/{accountId}/data/close";

    /// <summary>Usage by day and model (GET with <c>?from=&amp;to=</c> dates, both days included), and the same figures as CSV.</summary>
    public const string DashboardUsage = "dashboard/accounts/{accountId}/usage";
    public const string DashboardUsageCsv = "dashboard/accounts/{accountId}/usage/csv";
    /// <summary>GET lists the account's keys; POST (anti-forgery) creates one and shows its secret once.</summary>
    public const string DashboardKeys = "dashboard/accounts/{accountId}/keys";
    /// <summary>GET asks to confirm; POST (anti-forgery, <c>confirm</c> = the key id) revokes.</summary>
    public const string DashboardKeyRevoke = "dashboard/accounts/{accountId}/keys/{keyId}/revoke";
    /// <summary>The account's audit log, newest first, paged.</summary>
    public const string DashboardAudit = "dashboard/accounts/{accountId}/audit";

    /// <summary>Budgets and rate limits of the account, its keys and members (Owner and Admin).</summary>
    public const string DashboardLimits = "dashboard/accounts/{accountId}/limits";
    /// <summary>POST (anti-forgery): replaces one subject's limits; <c>{subjectId}</c> is <c>account</c>, a key id or a member id.</summary>
    public const string DashboardLimitsSet = "dashboard/accounts/{accountId}/limits/{subjectId}";

    /// <summary>Anonymous: whether storage answers (no account data).</summary>
    public const string Health = "health";

    /// <summary>Every path no other route serves, for every method: an OpenAI-shaped 404 (<c>unknown_url</c>).</summary>
    public const string UnknownUrl = "{*path}";
}
