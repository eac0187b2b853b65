using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>A legal hold stops every purge of the account, and each run that skips it says so; releasing it lets the
/// next run proceed. Holds are operator business: the customer's view never shows one.</summary>
public sealed class LegalHoldTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task LegalHold_NothingIsPurged_TheRunNotesAndLogsTheSkip_ReleaseLetsThePurgeProceed()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        await _app.SeedUsageAsync(account.Id, owner, count: 2);
        await AccountFootprint.SeedStoredContentAsync(_app, owner);
        var held = await _app.OperatorAsync(account.Id, "legal-hold", """{"hold":true,"reason":"Case 24-cv-1187 preservation order"}""");
        Assert.Equal("Case 24-cv-1187 preservation order", held.GetProperty("legal_hold").GetProperty("reason").GetString());
        // What the retention rules consult so that they, too, leave a held account alone.
        var store = _app.Services.GetRequiredService<AccountStore>();
        Assert.NotNull((await store.GetAsync(account.Id, CancellationToken.None))!.LegalHold);
        await _app.CloseAsync(account.Id, owner);
        var customerView = await (await _app.CreateHttpClient(owner).GetAsync("v1/account")).BodyAsync();
        Assert.False(customerView.TryGetProperty("legal_hold", out _));

        await AccountFootprint.MaterialiseAsync(_app);
        // Past the expired period, and past the content's own 30 days: the hold must keep both.
        _app.AdvanceDays(30);
        var before = await AccountFootprint.ReadAsync(_app, account.Id);
        for (var run = 0; run < 2; run++)
        {
            var result = await _app.PurgeAsync();
            Assert.Equal("completed", result.Status);
            Assert.Equal(1, result.Counts["accounts_on_legal_hold"]);
            Assert.False(result.Counts.ContainsKey("accounts_purged"));
            Assert.Contains(result.Notes, n => n.Contains(account.Id, StringComparison.Ordinal) && n.Contains("legal hold", StringComparison.Ordinal));
            Assert.Equal(before, await AccountFootprint.ReadAsync(_app, account.Id));
            Assert.Equal(AccountState.Expired, (await _app.StoredAccountAsync(account.Id))!.State);
        }
        Assert.Contains(_app.Logs.Lines, l => l.Contains("on legal hold", StringComparison.Ordinal) && l.Contains(account.Id, StringComparison.Ordinal));
        Assert.True(before.UsageRows >= 2 && before.PayloadBlobs == 1 && before.DataKeys == 1, before.ToString());

        var released = await _app.OperatorAsync(account.Id, "legal-hold", """{"hold":false,"reason":"Case settled"}""");
        Assert.False(released.TryGetProperty("legal_hold", out _));
        Assert.Null((await store.GetAsync(account.Id, CancellationToken.None))!.LegalHold);
        var after = await _app.PurgeAsync();
        Assert.Equal(1, after.Counts["accounts_purged"]);
        Assert.Equal(0, (await AccountFootprint.ReadAsync(_app, account.Id)).Total);
    }

    [Fact]
    public async Task LegalHold_OnASuspendedAccount_ItStillExpiresAfterGrace_ButIsNeverPurged()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        await _app.SeedUsageAsync(account.Id, owner, count: 1);
        await _app.SuspendAsync(account.Id, "terms_violation");
        await _app.OperatorAsync(account.Id, "legal-hold", """{"hold":true,"reason":"Regulator inquiry"}""");

        _app.AdvanceDays(100);
        var result = await _app.PurgeAsync();
        Assert.Equal(1, result.Counts["accounts_expired"]);
        Assert.Equal(1, result.Counts["accounts_on_legal_hold"]);
        Assert.Equal(AccountState.Expired, (await _app.StoredAccountAsync(account.Id))!.State);
        Assert.True((await AccountFootprint.ReadAsync(_app, account.Id)).UsageRows >= 1);
    }

    [Fact]
    public async Task LegalHold_NeedsAReason_CannotBePlacedTwice_OrReleasedWhenAbsent()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var client = _app.Operator();
        var path = $"operator/accounts/{account.Id}/legal-hold";

        var noReason = await client.PostAsync(path, AccountApi.Json("""{"hold":true}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal("reason", (await noReason.BodyAsync()).GetProperty("error").GetProperty("param").GetString());
        var noFlag = await client.PostAsync(path, AccountApi.Json("""{"reason":"x"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noFlag.StatusCode);

        var release = await client.PostAsync(path, AccountApi.Json("""{"hold":false,"reason":"x"}"""));
        Assert.Equal(HttpStatusCode.Conflict, release.StatusCode);
        Assert.Equal("no_legal_hold", await release.ErrorCodeAsync());

        await _app.OperatorAsync(account.Id, "legal-hold", """{"hold":true,"reason":"first"}""");
        var twice = await client.PostAsync(path, AccountApi.Json("""{"hold":true,"reason":"second"}"""));
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("legal_hold_already_placed", await twice.ErrorCodeAsync());
        Assert.Equal("first", (await _app.StoredAccountAsync(account.Id))!.LegalHold!.Reason);
    }
}
