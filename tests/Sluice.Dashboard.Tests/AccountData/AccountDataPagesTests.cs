using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.Payloads;
using Sluice.Testing;
using Sluice.Testing.SignIn;
using Sluice.Wire;
using static Sluice.Dashboard.Tests.Members.MemberSignInTests;

namespace Sluice.Dashboard.Tests.AccountData;

/// <summary>
/// Settings → Policies, Requests and Data through real sign-ins (the OpenIddict provider on loopback, the local host,
/// Azurite): each page acts through the API's own code, so a change is validated and audited as the API's, a refusal is
/// the API's, and content is shown only to the roles the API lets read it.
/// </summary>
public sealed class AccountDataPagesTests
{
    [Fact]
    public async Task AnOwner_ChangesRetentionAndDataPolicy_OnSettingsPolicies_AuditedAsTheApisChange()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync(new Dictionary<string, string?>
        {
            ["Sluice:Retention:MaxContentRetentionDays"] = "60",
            ["Sluice:Retention:MinUsageRetentionDays"] = "7",
        });
        var (account, owner, key) = await OwnerAsync(sluice);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "owner");
        var member = await MemberAsync(sluice, account.Id);

        var page = await alice.GetAsync(Policies(account.Id));
        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        // The deployment's limits are shown, and each choice says what it does.
        Assert.Contains("This deployment allows 0 to 60 days", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("This deployment allows 7 to 365 days", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("No prompt or completion text is kept anywhere", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("Prompts never go to an upstream that may train its models on them.", page.Last.Body, StringComparison.Ordinal);

        var saved = await alice.PostFormAsync(Policies(account.Id) + "/retention",
            [page.Last.Csrf(), new("content_mode", "retain_all"), new("content_retention_days", "10"), new("usage_retention_days", "30")]);
        Assert.Equal(HttpStatusCode.OK, saved.Last.Status);
        Assert.Contains("Saved.", saved.Last.Body, StringComparison.Ordinal);
        Assert.Equal(new RetentionPolicy(ContentMode.RetainAll, 10, 30), (await AccountAsync(sluice, account.Id)).Retention);

        var policy = await alice.PostFormAsync(Policies(account.Id) + "/data-policy",
            [saved.Last.Csrf(), new("in_region_only", "true"), new("zero_retention_only", "true")]);
        Assert.Equal(HttpStatusCode.OK, policy.Last.Status);
        Assert.Equal(new DataPolicy(true, true, false), (await AccountAsync(sluice, account.Id)).DataPolicy);
        Assert.Contains("Prompts go only to upstreams that keep nothing once they have answered.", policy.Last.Body, StringComparison.Ordinal);

        // The same change through the API (the Owner key) writes the same kind of entry: only the actor differs.
        using var api = sluice.CreateHttpClient(key);
        var put = await api.PutAsync("v1/account/retention", JsonContent.Create(new { content_retention_days = 20 }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var audit = await ListAsync(sluice.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var fromDashboard = Assert.Single(audit, e => e.Action == "retention.changed" && e.Actor == member.Id);
        Assert.Equal("content_mode: metadata_only -> retain_all; content_retention_days: 30 -> 10; usage_retention_days: 90 -> 30", fromDashboard.Details);
        Assert.Equal(account.Id, fromDashboard.Target);
        var fromApi = Assert.Single(audit, e => e.Action == "retention.changed" && e.Actor != member.Id);
        Assert.Equal("content_retention_days: 10 -> 20", fromApi.Details);
        var dataPolicy = Assert.Single(audit, e => e.Action == "data_policy.changed");
        Assert.Equal((member.Id, "deployment default -> in_region_only=true,zero_retention_only=true,allow_training=false"), (dataPolicy.Actor, dataPolicy.Details));
    }

    [Fact]
    public async Task SettingsPolicies_RefusesWhatTheApiRefuses_WithItsMessage_AndChangesNothing()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync(new Dictionary<string, string?>
        {
            ["Sluice:Retention:MaxContentRetentionDays"] = "60",
            ["Sluice:DataPolicy:InRegionOnly"] = "true",
            ["Sluice:DataPolicy:EnforceAsFloor"] = "true",
        });
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "admin");
        var page = await alice.GetAsync(Policies(account.Id));
        Assert.Contains("The deployment enforces its defaults as a floor", page.Last.Body, StringComparison.Ordinal);

        (string Field, string Value, string Message)[] invalid =
        [
            ("content_retention_days", "61", "&#x27;content_retention_days&#x27; must be from 0 to 60 on this deployment."),
            ("content_retention_days", "ten", "&#x27;content_retention_days&#x27; must be a whole number of days."),
            ("usage_retention_days", "5", "&#x27;content_retention_days&#x27; (30) must not exceed &#x27;usage_retention_days&#x27; (5)"),
        ];
        foreach (var (field, value, message) in invalid)
        {
            var form = new Dictionary<string, string> { ["content_mode"] = "metadata_only", ["content_retention_days"] = "30", ["usage_retention_days"] = "90" };
            form[field] = value;
            var refused = await alice.PostFormAsync(Policies(account.Id) + "/retention", [page.Last.Csrf(), .. form]);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Last.Status);
            Assert.Contains(message, refused.Last.Body, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed.", refused.Last.Body, StringComparison.Ordinal);
        }
        var belowFloor = await alice.PostFormAsync(Policies(account.Id) + "/data-policy", [page.Last.Csrf(), new("allow_training", "true")]);
        Assert.Equal(HttpStatusCode.BadRequest, belowFloor.Last.Status);
        Assert.Contains("cannot be loosened below it", belowFloor.Last.Body, StringComparison.Ordinal);
        var withoutToken = await alice.PostFormAsync(Policies(account.Id) + "/retention",
            [new("content_mode", "retain_all"), new("content_retention_days", "10"), new("usage_retention_days", "30")]);
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.Last.Status);
        Assert.Contains("Form not accepted", withoutToken.Last.Body, StringComparison.Ordinal);

        var stored = await AccountAsync(sluice, account.Id);
        Assert.Equal(new RetentionPolicy(ContentMode.MetadataOnly, 30, 90), stored.Retention);
        Assert.Null(stored.DataPolicy);
        var audit = await ListAsync(sluice.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        Assert.DoesNotContain(audit, e => e.Action is "retention.changed" or "data_policy.changed");
    }

    [Theory]
    [InlineData("developer")]
    [InlineData("restricted")]
    public async Task ADeveloperOrRestrictedMember_OpensNoneOfTheDataPages_NorChangesAnything(string role)
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        using var carol = new DashboardBrowser(sluice.BaseAddress);
        var accountPage = await JoinAsync(sluice, carol, owner, TestIdentityProvider.Carol, role);
        Assert.DoesNotContain("/settings/policies\"", accountPage.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("/requests\"", accountPage.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("/data\"", accountPage.Last.Body, StringComparison.Ordinal);

        foreach (var path in new[] { Policies(account.Id), $"/dashboard/accounts/{account.Id}/requests", $"/dashboard/accounts/{account.Id}/data" })
        {
            var page = await carol.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, page.Last.Status);
            Assert.Contains($"This needs the admin role or higher; your role in this account is {role}.", page.Last.Body, StringComparison.Ordinal);
        }
        var csrf = accountPage.Last.Csrf();
        (string Path, KeyValuePair<string, string>[] Form)[] posts =
        [
            (Policies(account.Id) + "/retention", [csrf, new("content_mode", "retain_all"), new("content_retention_days", "10"), new("usage_retention_days", "30")]),
            (Policies(account.Id) + "/data-policy", [csrf]),
            ($"/dashboard/accounts/{account.Id}/data/erase-content", [csrf]),
            ($"/dashboard/accounts/{account.Id}/data/close", [csrf, new("confirm", account.Id)]),
        ];
        foreach (var (path, form) in posts)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await carol.PostFormAsync(path, form)).Last.Status);
        }
        var stored = await AccountAsync(sluice, account.Id);
        Assert.Equal((AccountState.Active, ContentMode.MetadataOnly, (DataPolicy?)null), (stored.State, stored.Retention.ContentMode, stored.DataPolicy));
    }

    [Fact]
    public async Task Requests_ShowsAStoredPrompt_HtmlEncoded_ToAnAdmin_NeverToADeveloper_AndErasesIt()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner, key) = await OwnerAsync(sluice);
        Assert.Equal(HttpStatusCode.OK, (await SetRetentionAsync(sluice, key, "retain_all")).StatusCode);
        var canary = "CANARY-" + Guid.NewGuid().ToString("N");
        var prompt = canary + " <script>alert(1)</script>";
        var requestId = await ChatAsync(sluice, key, prompt);
        var other = await ChatAsync(sluice, key, "an ordinary prompt");
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "admin");
        using var carol = new DashboardBrowser(sluice.BaseAddress);
        var carolsAccount = await JoinAsync(sluice, carol, owner, TestIdentityProvider.Carol, "developer");

        var page = await alice.GetAsync($"/dashboard/accounts/{account.Id}/requests");
        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        Assert.Contains(canary, page.Last.Body, StringComparison.Ordinal);
        Assert.Contains(canary + " &lt;script&gt;alert(1)&lt;/script&gt;", page.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", page.Last.Body, StringComparison.Ordinal);
        // Newest first.
        Assert.True(page.Last.Body.IndexOf(other, StringComparison.Ordinal) < page.Last.Body.IndexOf(requestId, StringComparison.Ordinal));

        // A Developer sees the canary on no page: the pages it may open do not show content, the others refuse.
        foreach (var path in new[] { "/dashboard", $"/dashboard/accounts/{account.Id}", $"/dashboard/accounts/{account.Id}/requests",
            $"/dashboard/accounts/{account.Id}/data", Policies(account.Id) })
        {
            Assert.DoesNotContain(canary, (await carol.GetAsync(path)).Last.Body, StringComparison.Ordinal);
        }
        var carolErases = await carol.PostFormAsync($"/dashboard/accounts/{account.Id}/requests/{requestId}/erase", [carolsAccount.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.Forbidden, carolErases.Last.Status);

        var erased = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/requests/{requestId}/erase", [page.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.OK, erased.Last.Status);
        Assert.Contains("The request's content was erased", erased.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(canary, erased.Last.Body, StringComparison.Ordinal);
        Assert.Contains(other, erased.Last.Body, StringComparison.Ordinal);
        var (plaintext, _) = await sluice.Services.GetRequiredService<PayloadStore>().ReadAsync(account.Id, RequestIdOf(requestId), CancellationToken.None);
        Assert.Null(plaintext);
        var audit = await ListAsync(sluice.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var entry = Assert.Single(audit, e => e.Action == "request_content.erased");
        Assert.Equal(((await MemberAsync(sluice, account.Id, "Alice Example")).Id, requestId), (entry.Actor, entry.Target));
    }

    [Fact]
    public async Task Requests_ListsAStoredCopyThatCannotBeRead_WithTheApisReason_AndStillShowsTheOthers()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner, key) = await OwnerAsync(sluice);
        Assert.Equal(HttpStatusCode.OK, (await SetRetentionAsync(sluice, key, "retain_all")).StatusCode);
        var tampered = await ChatAsync(sluice, key, "to be tampered with");
        var intact = await ChatAsync(sluice, key, "intact prompt");
        await sluice.Storage.Payloads.GetBlobClient(PayloadStore.BlobName(account.Id, RequestIdOf(tampered)))
            .UploadAsync(BinaryData.FromString("not a sealed payload"), overwrite: true);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "owner");

        var page = await alice.GetAsync($"/dashboard/accounts/{account.Id}/requests");

        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        Assert.Contains(tampered, page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("The content cannot be read: ", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains("intact prompt", page.Last.Body, StringComparison.Ordinal);
        Assert.Contains(intact, page.Last.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_OfAMetadataOnlyAccount_SaysNoContentIsKept_AndPagesThroughManyNewestFirst()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner, key) = await OwnerAsync(sluice);
        var unstored = await ChatAsync(sluice, key, "not stored");
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "owner");

        var metadataOnly = await alice.GetAsync($"/dashboard/accounts/{account.Id}/requests");
        Assert.Equal(HttpStatusCode.OK, metadataOnly.Last.Status);
        Assert.Contains("This account keeps no content (metadata only)", metadataOnly.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(unstored, metadataOnly.Last.Body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await SetRetentionAsync(sluice, key, "retain_all")).StatusCode);
        var ids = new List<string>();
        for (var i = 0; i < Dashboard.AccountDataHandlers.RequestsPerPage + 2; i++)
        {
            ids.Add(await ChatAsync(sluice, key, "prompt " + i));
        }
        var first = await alice.GetAsync($"/dashboard/accounts/{account.Id}/requests");
        var shown = ids.Where(id => first.Last.Body.Contains(id, StringComparison.Ordinal)).ToList();
        Assert.Equal(Dashboard.AccountDataHandlers.RequestsPerPage, shown.Count);
        Assert.DoesNotContain(ids[0], shown);
        Assert.DoesNotContain(ids[1], shown);
        var older = System.Text.RegularExpressions.Regex.Match(first.Last.Body, "<a href=\"(?<href>[^\"]+)\">Older requests</a>");
        Assert.True(older.Success);
        var second = await alice.GetAsync(WebUtility.HtmlDecode(older.Groups["href"].Value));
        Assert.Equal([ids[1], ids[0]], ids.Where(id => second.Last.Body.Contains(id, StringComparison.Ordinal)).Reverse());
        Assert.DoesNotContain("Older requests", second.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(unstored, first.Last.Body + second.Last.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_ErasesAllContent_AndClosesTheAccountOnlyWhenItsIdIsTyped()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner, key) = await OwnerAsync(sluice);
        Assert.Equal(HttpStatusCode.OK, (await SetRetentionAsync(sluice, key, "retain_all")).StatusCode);
        var requestId = await ChatAsync(sluice, key, "to be erased");
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "owner");
        var member = await MemberAsync(sluice, account.Id);

        var data = await alice.GetAsync($"/dashboard/accounts/{account.Id}/data");
        Assert.Equal(HttpStatusCode.OK, data.Last.Status);
        Assert.Contains("<strong>State:</strong> Active.", data.Last.Body, StringComparison.Ordinal);
        Assert.Contains("Download the export", data.Last.Body, StringComparison.Ordinal);
        var erased = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/data/erase-content", [data.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.OK, erased.Last.Status);
        Assert.Contains("All stored content of this account was erased", erased.Last.Body, StringComparison.Ordinal);
        var (plaintext, _) = await sluice.Services.GetRequiredService<PayloadStore>().ReadAsync(account.Id, RequestIdOf(requestId), CancellationToken.None);
        Assert.Null(plaintext);
        Assert.Empty(await BlobsAsync(sluice, account.Id));

        foreach (var typed in new[] { "", "yes", account.Id.ToUpperInvariant(), account.Id + "x" })
        {
            var refused = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/data/close", [erased.Last.Csrf(), new("confirm", typed)]);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Last.Status);
            Assert.Contains($"The confirmation must be the account&#x27;s id, {account.Id}; the account was not closed.", refused.Last.Body, StringComparison.Ordinal);
            Assert.Equal(AccountState.Active, (await AccountAsync(sluice, account.Id)).State);
        }
        var closed = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/data/close", [erased.Last.Csrf(), new("confirm", account.Id)]);
        Assert.Equal(HttpStatusCode.OK, closed.Last.Status);
        var stored = await AccountAsync(sluice, account.Id);
        Assert.Equal(AccountState.Expired, stored.State);
        var options = sluice.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccountOptions>>().Value;
        Assert.Contains($"Its data is kept until {stored.PurgeAfter(options):yyyy-MM-dd} (purge_after)", closed.Last.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Close the account</button>", closed.Last.Body, StringComparison.Ordinal);
        var home = await alice.GetAsync("/dashboard");
        Assert.Contains($"Its data is kept until {stored.PurgeAfter(options):yyyy-MM-dd} (purge_after)", home.Last.Body, StringComparison.Ordinal);

        var audit = await ListAsync(sluice.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        Assert.Equal(member.Id, Assert.Single(audit, e => e.Action == "content.erased").Actor);
        Assert.Equal(member.Id, Assert.Single(audit, e => e.Action == "account.closed").Actor);
    }

    [Fact]
    public async Task Data_AnAdminCannotClose_ALegalHoldIsShownAndBlocksErasure_AndASuspensionIsShownOnHome()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        using var alice = new DashboardBrowser(sluice.BaseAddress);
        await JoinAsync(sluice, alice, owner, TestIdentityProvider.Alice, "admin");
        var lifecycle = sluice.Services.GetRequiredService<AccountLifecycle>();

        var data = await alice.GetAsync($"/dashboard/accounts/{account.Id}/data");
        Assert.DoesNotContain("Close the account", data.Last.Body, StringComparison.Ordinal);
        var close = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/data/close", [data.Last.Csrf(), new("confirm", account.Id)]);
        Assert.Equal(HttpStatusCode.Forbidden, close.Last.Status);
        Assert.Contains("This needs the owner role or higher; your role in this account is admin.", close.Last.Body, StringComparison.Ordinal);
        Assert.Equal(AccountState.Active, (await AccountAsync(sluice, account.Id)).State);

        Assert.Null((await lifecycle.SetLegalHoldAsync(account.Id, true, "case 42 (confidential)", "operator", null, CancellationToken.None)).Error);
        data = await alice.GetAsync($"/dashboard/accounts/{account.Id}/data");
        Assert.Contains("<strong>Legal hold:</strong>", data.Last.Body, StringComparison.Ordinal);
        // As the API's customer view: the hold is not explained.
        Assert.DoesNotContain("case 42", data.Last.Body, StringComparison.Ordinal);
        Assert.Contains("<strong>Legal hold:</strong>", (await alice.GetAsync($"/dashboard/accounts/{account.Id}")).Last.Body, StringComparison.Ordinal);
        var erase = await alice.PostFormAsync($"/dashboard/accounts/{account.Id}/data/erase-content", [data.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.Conflict, erase.Last.Status);
        Assert.Contains("A legal hold on this account blocks erasing its data", erase.Last.Body, StringComparison.Ordinal);

        Assert.Null((await lifecycle.SuspendAsync(account.Id, SuspensionReasons.NonPayment, null, "operator", null, CancellationToken.None)).Error);
        var suspended = await AccountAsync(sluice, account.Id);
        var options = sluice.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccountOptions>>().Value;
        var home = await alice.GetAsync("/dashboard");
        Assert.Contains($"unless resolved by {suspended.GraceEndsAt(options):yyyy-MM-dd}, the account is closed.", home.Last.Body, StringComparison.Ordinal);
        var refused = await alice.GetAsync($"/dashboard/accounts/{account.Id}/data");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Last.Status);
        Assert.Contains("This account is suspended", refused.Last.Body, StringComparison.Ordinal);
    }

    internal static string Policies(string accountId) => $"/dashboard/accounts/{accountId}/settings/policies";

    internal static async Task<Account> AccountAsync(SluiceApplication sluice, string accountId) =>
        (await sluice.Services.GetRequiredService<AccountStore>().GetAsync(accountId, CancellationToken.None))!;

    internal static async Task<Member> MemberAsync(SluiceApplication sluice, string accountId, string? name = null) =>
        Assert.Single(await ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(accountId, CancellationToken.None)),
            m => name is null || m.Name == name);

    /// <summary>A new account, its Owner key as a caller (who invites the members) and the key's secret (for the API).</summary>
    internal static async Task<(Account Account, Caller Owner, string Key)> OwnerAsync(SluiceApplication sluice)
    {
        var (account, secret) = await sluice.CreateAccountAsync();
        var key = await sluice.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None);
        return (account, new Caller(account, key!, null), secret);
    }

    internal static async Task<HttpResponseMessage> SetRetentionAsync(SluiceApplication sluice, string key, string mode)
    {
        using var api = sluice.CreateHttpClient(key);
        return await api.PutAsync("v1/account/retention", JsonContent.Create(new Dictionary<string, object> { ["content_mode"] = mode, ["content_retention_days"] = 10 }));
    }

    /// <summary>A chat completion through the gateway's built-in mock route; its request id.</summary>
    internal static async Task<string> ChatAsync(SluiceApplication sluice, string key, string prompt)
    {
        using var api = sluice.CreateHttpClient(key);
        using var response = await api.PostAsync("v1/chat/completions", JsonContent.Create(new Dictionary<string, object>
        {
            ["model"] = "mock",
            ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt } },
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-request-id").Single();
    }

    internal static RequestId RequestIdOf(string id) => RequestId.TryParse(id, out var parsed) ? parsed : throw new FormatException(id);

    private static async Task<List<string>> BlobsAsync(SluiceApplication sluice, string accountId)
    {
        var names = new List<string>();
        await foreach (var blob in sluice.Storage.Payloads.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, accountId + "/", CancellationToken.None))
        {
            names.Add(blob.Name);
        }
        return names;
    }
}
