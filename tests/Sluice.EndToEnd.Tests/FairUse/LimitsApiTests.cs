using System.Net;
using System.Text.Json;
using Sluice.EndToEnd.Tests.Accounts;
using Sluice.FairUse;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.FairUse;

/// <summary><c>/v1/account/limits</c> and <c>/v1/keys/{id}/limits</c>: only Owner and Admin keys read or change
/// them, every change is audited, the deployment's maximum holds, and the limits are in the data export.</summary>
public sealed class LimitsApiTests
{
    [Fact]
    public async Task OnlyOwnerAndAdmin_ReadOrChangeLimits_EveryChangeIsAudited_AndTheExportHasThem()
    {
        await using var app = await FairUseApi.StartAsync(AccountApi.Clock());
        var (account, owner) = await app.CreateAccountAsync();
        var (adminId, admin) = await app.CreateKeyAsync(account.Id, "admin");
        var (developerId, developer) = await app.CreateKeyAsync(account.Id, "developer");
        var (_, restricted) = await app.CreateKeyAsync(account.Id, "restricted", "mock");

        foreach (var lowRole in new[] { developer, restricted })
        {
            var client = app.CreateHttpClient(lowRole);
            foreach (var (method, path) in new[]
            {
                (HttpMethod.Get, "v1/account/limits"), (HttpMethod.Put, "v1/account/limits"),
                (HttpMethod.Get, $"v1/keys/{developerId}/limits"), (HttpMethod.Put, $"v1/keys/{developerId}/limits"),
            })
            {
                var response = await client.SendAsync(method, path, method == HttpMethod.Put ? """{"requests_per_minute":1000}""" : null);
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Equal("insufficient_role", await response.ErrorCodeAsync());
            }
        }

        await app.SetLimitsAsync(owner, null, """{"monthly_budget_usd":250,"tokens_per_minute":100000}""");
        await app.SetLimitsAsync(admin, developerId, """{"daily_budget_usd":5.5,"requests_per_minute":60}""");
        var key = await (await app.CreateHttpClient(admin).GetAsync($"v1/keys/{developerId}/limits")).BodyAsync();
        Assert.Equal(5.5m, key.GetProperty("own").GetProperty("daily_budget_usd").GetDecimal());
        Assert.Equal(60, key.GetProperty("effective").GetProperty("requests_per_minute").GetInt32());
        Assert.Equal(JsonValueKind.Null, key.GetProperty("own").GetProperty("tokens_per_minute").ValueKind);
        var listed = await (await app.CreateHttpClient(owner).GetAsync("v1/account/limits")).BodyAsync();
        Assert.Equal(250m, listed.GetProperty("account").GetProperty("own").GetProperty("monthly_budget_usd").GetDecimal());
        Assert.Equal(developerId, Assert.Single(listed.GetProperty("keys").EnumerateArray()).GetProperty("id").GetString());

        var changes = await app.AuditAsync(owner, LimitHandlers.AuditAction);
        Assert.Equal(2, changes.Count);
        var keyChange = Assert.Single(changes, c => c.GetProperty("target").GetString() == developerId);
        Assert.Equal(adminId, keyChange.GetProperty("actor").GetString());
        Assert.Equal("key: none -> daily_budget_usd=5.5,requests_per_minute=60", keyChange.GetProperty("details").GetString());
        Assert.Contains(changes, c => c.GetProperty("target").GetString() == account.Id
            && c.GetProperty("details").GetString() == "account: none -> monthly_budget_usd=250,tokens_per_minute=100000");

        var export = await (await app.CreateHttpClient(owner).GetAsync("v1/account/export")).Content.ReadAsStringAsync();
        var limits = export.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("type").GetString() == "limits").GetProperty("data");
        Assert.Equal(250m, limits.GetProperty("account").GetProperty("own").GetProperty("monthly_budget_usd").GetDecimal());
        Assert.Equal(5.5m, Assert.Single(limits.GetProperty("keys").EnumerateArray()).GetProperty("own").GetProperty("daily_budget_usd").GetDecimal());
    }

    [Fact]
    public async Task LimitsAboveTheDeploymentMaximum_OrMalformed_AreRefused_AndDefaultsApplyToKeysThatSetNothing()
    {
        await using var app = await FairUseApi.StartAsync(AccountApi.Clock(), new Dictionary<string, string?>
        {
            ["Sluice:FairUse:MaxRequestsPerMinute"] = "100",
            ["Sluice:FairUse:DefaultKeyRequestsPerMinute"] = "2",
        });
        var (account, owner) = await app.CreateAccountAsync();
        var (developerId, developer) = await app.CreateKeyAsync(account.Id, "developer");

        var above = await app.PutLimitsAsync(owner, developerId, """{"requests_per_minute":101}""");
        Assert.Equal(HttpStatusCode.BadRequest, above.StatusCode);
        Assert.Equal("limit_above_maximum", await above.ErrorCodeAsync());
        foreach (var bad in new[] { """{"daily_budget_usd":-1}""", """{"requests_per_minute":0}""", """{"requests_per_min":5}""", """{"daily_budget_usd":"ten"}""" })
        {
            var response = await app.PutLimitsAsync(owner, developerId, bad);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await app.PutLimitsAsync(owner, "key_doesnotexist", """{"requests_per_minute":5}""")).StatusCode);
        Assert.Empty(await app.AuditAsync(owner, LimitHandlers.AuditAction));

        // The deployment's default: two a minute for a key that set nothing.
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(developer, "1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(developer, "2")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await app.ChatAsync(developer, "3")).StatusCode);
    }
}

/// <summary>The account purge takes the fair-use rows with everything else: limits, spend shares, rate counters and
/// threshold notes all name the account.</summary>
public sealed class FairUsePurgeTests
{
    [Fact]
    public async Task PurgedAccount_LeavesNoFairUseRow()
    {
        var clock = AccountApi.Clock();
        await using var app = await FairUseApi.StartAsync(clock);
        var (account, owner) = await app.CreateAccountAsync();
        var (keyId, key) = await app.CreateKeyAsync(account.Id, "developer");
        await app.SetLimitsAsync(owner, keyId, """{"daily_budget_usd":0.005,"requests_per_minute":50,"tokens_per_minute":5000}""");
        await app.SetLimitsAsync(owner, null, """{"monthly_budget_usd":100}""");
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "spend")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.ChatAsync(key, "past the threshold")).StatusCode);
        await app.Gate().RefreshAsync(CancellationToken.None);
        var rows = 0;
        await foreach (var _ in app.Storage.FairUse.QueryAsync<Azure.Data.Tables.TableEntity>())
        {
            rows++;
        }
        // Limits (2), the key's spend share, requests and tokens counters, the key's daily threshold note.
        Assert.Equal(6, rows);

        await app.CloseAsync(account.Id, owner);
        app.AdvanceDays(31);
        Assert.Equal("completed", (await app.PurgeAsync()).Status);

        Assert.Empty(await AccountFootprint.LeftoversAsync(app, account.Id));
    }
}
