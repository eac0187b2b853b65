using System.Net;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>Involuntary suspension: everything the customer can call answers 403 with the reason; reinstatement
/// within the 14-day grace restores everything; an unresolved suspension closes the account at the end of grace and
/// the 30-day expired period runs from then.</summary>
public sealed class AccountSuspensionTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    /// <summary>Every customer endpoint this branch serves, with a body that would succeed on an active account.</summary>
    private static readonly (string Method, string Path, string? Body)[] s_customerEndpoints =
    [
        ("POST", "v1/chat/completions", """{"model":"mock","messages":[{"role":"user","content":"hi"}]}"""),
        ("GET", "v1/models", null),
        ("GET", "v1/account", null),
        ("POST", "v1/account/close", """{"confirm":"x"}"""),
        ("GET", "v1/account/ip-allowlist", null),
        ("PUT", "v1/account/ip-allowlist", """{"ip_allowlist":[]}"""),
        ("GET", "v1/audit", null),
        ("GET", "v1/keys", null),
        ("POST", "v1/keys", """{"role":"developer"}"""),
        ("PATCH", "v1/keys/key_0000000000000000", """{"name":"x"}"""),
        ("DELETE", "v1/keys/key_0000000000000000", null),
    ];

    [Fact]
    public async Task Suspended_EveryCustomerEndpoint_Answers403WithTheReason_ForEveryRole()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        var (_, developer) = await _app.CreateKeyAsync(account.Id, "developer");
        var suspended = await _app.SuspendAsync(account.Id, "non_payment");
        Assert.Equal("suspended", suspended.GetProperty("state").GetString());
        Assert.Equal(_app.Time!.GetUtcNow().AddDays(14), suspended.GetProperty("grace_ends_at").GetDateTimeOffset());

        foreach (var key in new[] { owner, developer })
        {
            foreach (var (method, path, body) in s_customerEndpoints)
            {
                var response = await _app.CreateHttpClient(key).SendAsync(new HttpMethod(method), path, body);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {response.StatusCode}");
                var error = (await response.BodyAsync()).GetProperty("error");
                Assert.Equal("account_suspended", error.GetProperty("code").GetString());
                Assert.Contains("non-payment", error.GetProperty("message").GetString());
            }
        }
        // The operator sees the internal note; the customer's 403 carries only the reason category.
        var operatorView = await (await _app.Operator().GetAsync($"operator/accounts/{account.Id}")).BodyAsync();
        Assert.Equal("invoice 1042 unpaid", operatorView.GetProperty("suspension_note").GetString());
    }

    [Fact]
    public async Task Suspend_Day13Reinstate_EverythingIsBack()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        var (_, developer) = await _app.CreateKeyAsync(account.Id, "developer");
        await _app.SeedUsageAsync(account.Id, developer, count: 2);
        await _app.SuspendAsync(account.Id, "terms_violation");

        _app.AdvanceDays(13);
        var before = await AccountFootprint.ReadAsync(_app, account.Id);
        await _app.PurgeAsync();
        Assert.Equal(AccountState.Suspended, (await _app.StoredAccountAsync(account.Id))!.State);

        var reinstated = await _app.OperatorAsync(account.Id, "reinstate");
        Assert.Equal("active", reinstated.GetProperty("state").GetString());
        Assert.False(reinstated.TryGetProperty("suspended_at", out _));
        Assert.False(reinstated.TryGetProperty("suspension_reason", out _));

        Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(developer).ChatAsync()).StatusCode);
        foreach (var path in new[] { "v1/account", "v1/keys", "v1/audit", "v1/account/ip-allowlist" })
        {
            Assert.Equal(HttpStatusCode.OK, (await _app.CreateHttpClient(owner).GetAsync(path)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Created, (await _app.CreateHttpClient(owner).PostAsync("v1/keys", AccountApi.Json("""{"role":"developer"}"""))).StatusCode);

        // Reinstated for good: the grace deadline is gone, later runs change nothing, nothing was lost.
        _app.AdvanceDays(60);
        await _app.PurgeAsync();
        Assert.Equal(AccountState.Active, (await _app.StoredAccountAsync(account.Id))!.State);
        var after = await AccountFootprint.ReadAsync(_app, account.Id);
        Assert.True(after.UsageRows >= before.UsageRows + 1 && after.KeyEntries == before.KeyEntries + 2, $"{before} -> {after}");

        var twice = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/reinstate", null);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("account_active", await twice.ErrorCodeAsync());
    }

    [Fact]
    public async Task Suspend_Day15Expired_Day43StillThere_Day45Purged()
    {
        var day0 = _app.Time!.GetUtcNow();
        var (account, owner) = await _app.CreateAccountAsync();
        await _app.SeedUsageAsync(account.Id, owner, count: 2);
        await _app.SuspendAsync(account.Id);

        _app.AdvanceDays(15);
        var day15 = await _app.PurgeAsync();
        Assert.Equal(1, day15.Counts["accounts_expired"]);
        var expired = (await _app.StoredAccountAsync(account.Id))!;
        Assert.Equal(AccountState.Expired, expired.State);
        Assert.Equal(ExpiryReasons.SuspensionNotResolved, expired.ExpiryReason);
        // The expired clock starts when grace ended (day 14), not when the timer noticed (day 15).
        Assert.Equal(day0.AddDays(14), expired.ExpiredAt);

        var reinstate = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/reinstate", null);
        Assert.Equal(HttpStatusCode.Conflict, reinstate.StatusCode);
        Assert.Equal("grace_period_ended", await reinstate.ErrorCodeAsync());
        // Waiting out a suspension does not unlock the data: not even the Owner may read it now.
        var read = await _app.CreateHttpClient(owner).GetAsync("v1/account");
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Equal("account_closed", await read.ErrorCodeAsync());

        _app.AdvanceDays(28); // day 43: 29 days after grace ended
        var before = await AccountFootprint.ReadAsync(_app, account.Id);
        await _app.PurgeAsync();
        Assert.Equal(AccountState.Expired, (await _app.StoredAccountAsync(account.Id))!.State);
        Assert.Equal(before, await AccountFootprint.ReadAsync(_app, account.Id));
        Assert.True(before.UsageRows >= 2, before.ToString());

        _app.AdvanceDays(2); // day 45
        var day45 = await _app.PurgeAsync();
        Assert.Equal(1, day45.Counts["accounts_purged"]);
        Assert.Equal(AccountState.Purged, (await _app.StoredAccountAsync(account.Id))!.State);
        Assert.Equal(0, (await AccountFootprint.ReadAsync(_app, account.Id)).Total);
        Assert.Empty(await AccountFootprint.LeftoversAsync(_app, account.Id));
    }

    [Theory]
    [InlineData("""{"reason":"unpaid"}""", "reason")]
    [InlineData("""{}""", "reason")]
    [InlineData("""{"reason":"other","note":"NOTE"}""", "note")]
    public async Task Suspend_RefusesAnUnknownReasonOrAnOverlongNote(string body, string param)
    {
        var (account, _) = await _app.CreateAccountAsync();
        var response = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/suspend",
            AccountApi.Json(body.Replace("NOTE", new string('n', 501), StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (await response.BodyAsync()).GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(AccountState.Active, (await _app.StoredAccountAsync(account.Id))!.State);
    }

    [Fact]
    public async Task Suspend_Twice_Or_AClosedAccount_Is409()
    {
        var (account, _) = await _app.CreateAccountAsync();
        await _app.SuspendAsync(account.Id);
        var twice = await _app.Operator().PostAsync($"operator/accounts/{account.Id}/suspend", AccountApi.Json("""{"reason":"other"}"""));
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("account_already_suspended", await twice.ErrorCodeAsync());

        var (closed, closedOwner) = await _app.CreateAccountAsync();
        await _app.CloseAsync(closed.Id, closedOwner);
        var suspendClosed = await _app.Operator().PostAsync($"operator/accounts/{closed.Id}/suspend", AccountApi.Json("""{"reason":"other"}"""));
        Assert.Equal(HttpStatusCode.Conflict, suspendClosed.StatusCode);
        Assert.Equal("account_expired", await suspendClosed.ErrorCodeAsync());

        var unknown = await _app.Operator().PostAsync("operator/accounts/acct_0000000000000000/suspend", AccountApi.Json("""{"reason":"other"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
