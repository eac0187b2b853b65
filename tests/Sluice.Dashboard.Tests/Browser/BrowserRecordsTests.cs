using Sluice.FairUse;
using Sluice.Testing;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.Records;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Browser;

/// <summary>
/// An Owner in a real browser (headless Chromium): signs in, accepts the invitation, opens Usage after requests
/// through the mock model and downloads its CSV, creates a key (its secret shown once) and revokes it, and finds both
/// in the Audit log. Screenshots of each page (one at a phone's width) go to
/// <c>tests/Sluice.Dashboard.Tests/TestResults/screenshots/</c>.
/// </summary>
public sealed class BrowserRecordsTests
{
    [Fact]
    public async Task AnOwner_ReadsUsageAndDownloadsItsCsv_CreatesAndRevokesAKey_AndFindsItInTheAuditLog()
    {
        await using var s = await RecordsScenario.StartAsync();
        var (_, inviteError) = await s.Get<MemberLifecycle>().InviteAsync(s.Owner, TestIdentityProvider.Alice.Email, "owner", CancellationToken.None);
        Assert.Null(inviteError);
        // Three requests through the gateway with the official client and the mock model.
        var chat = s.App.OpenAIChat(s.OwnerKey, "mock");
        for (var i = 0; i < 3; i++)
        {
            await chat.CompleteChatAsync($"hello {i}");
        }
        await using var context = await Chromium.NewContextAsync(s.App.BaseAddress);
        var page = await context.NewPageAsync();
        var recorder = PageRecorder.Watch(page, s.App.BaseAddress, new Uri((await SignInFixture.ProviderAsync()).Authority, "connect/").ToString());

        await page.GotoAsync("dashboard");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test provider" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Alice Example (alice@example.com)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/dashboard/accounts/{s.Account.Id}$"));

        // Usage: the three requests, in the figures, a chart and the table.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Account" }).GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Usage");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Requests per day" })).ToBeVisibleAsync();
        var perModel = page.GetByRole(AriaRole.Table, new() { NameRegex = new Regex("^Usage per model") });
        await Assertions.Expect(perModel.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^mock 3 ") })).ToBeVisibleAsync();
        await recorder.ShotAsync("usage-1-page");
        await page.SetViewportSizeAsync(390, 844);
        await recorder.ShotAsync("usage-2-phone");
        await page.SetViewportSizeAsync(1280, 720);

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download CSV" }).ClickAsync());
        Assert.Matches($"^sluice-usage-{s.Account.Id}-\\d{{4}}-\\d{{2}}-\\d{{2}}-to-\\d{{4}}-\\d{{2}}-\\d{{2}}\\.csv$", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.StartsWith("day,model,requests,prompt_tokens,completion_tokens,total_tokens,cost_usd,errors\r\n", csv, StringComparison.Ordinal);
        Assert.Matches(@"\r\n\d{4}-\d{2}-\d{2},mock,3,\d+,\d+,\d+,[0-9.]+,0\r\n", csv);

        // Keys: create one; its secret is on this page only.
        await page.GetByRole(AriaRole.Link, new() { Name = "Keys" }).ClickAsync();
        await recorder.ShotAsync("keys-1-list");
        await page.GetByLabel("Name").FillAsync("browser test");
        await page.GetByLabel("Role").SelectOptionAsync("developer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var secretField = page.GetByLabel("Its secret");
        await Assertions.Expect(secretField).ToBeVisibleAsync();
        var secret = await secretField.InputValueAsync();
        Assert.StartsWith("sk-sluice-", secret, StringComparison.Ordinal);
        await recorder.ShotAsync("keys-2-created");
        var key = await s.Get<KeyStore>().FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None);
        Assert.Equal("browser test", key!.Name);

        await page.GetByRole(AriaRole.Link, new() { Name = "Keys" }).ClickAsync();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = "Revoke browser test" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Revoke key “browser test”?");
        await recorder.ShotAsync("keys-3-confirm-revoke");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke this key" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The key is revoked");
        await Assertions.Expect(page.GetByRole(AriaRole.Row, new() { NameRegex = new Regex("^browser test ") })).ToContainTextAsync("Revoked ");
        await recorder.ShotAsync("keys-4-revoked");
        Assert.NotNull((await s.Get<KeyStore>().GetAsync(s.Account.Id, key.Id, CancellationToken.None))!.RevokedAt);

        // Audit log: the key's creation and revocation, by Alice.
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        var created = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "key.created" }).Filter(new() { HasText = key.Id });
        await Assertions.Expect(created).ToContainTextAsync("Alice Example");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "key.revoked" }).Filter(new() { HasText = key.Id })).ToBeVisibleAsync();
        await recorder.ShotAsync("audit-1-log");

        // Limits: a daily budget for the whole account, saved through the rule PUT /v1/account/limits uses.
        await page.GetByRole(AriaRole.Link, new() { Name = "Limits" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Limits");
        await recorder.ShotAsync("limits-1-page");
        var accountLimits = page.Locator("form[action$='/limits/account']");
        await accountLimits.Locator("input[name='daily_budget_usd']").FillAsync("5");
        await accountLimits.GetByRole(AriaRole.Button).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "$5 a day" })).ToBeVisibleAsync();
        await recorder.ShotAsync("limits-2-saved");
        var limits = await s.Get<LimitStore>().ReadAsync(s.Account.Id, CancellationToken.None);
        Assert.Equal(5m, limits[LimitSubject.Account(s.Account.Id)].DailyBudgetUsd);

        // Team and Data: the export downloads as the API's, with the account and its three usage rows in it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Team" }).ClickAsync();
        await recorder.ShotAsync("team-1-page");
        await page.GetByRole(AriaRole.Link, new() { Name = "Data" }).ClickAsync();
        var export = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download the export" }).ClickAsync());
        Assert.Matches($"^sluice-export-{s.Account.Id}-\\d{{8}}\\.ndjson$", export.SuggestedFilename);
        var lines = (await File.ReadAllLinesAsync(await export.PathAsync())).Where(l => l.Length > 0).ToList();
        Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l).Dispose());
        Assert.Contains(lines, l => l.Contains(s.Account.Id, StringComparison.Ordinal));
        Assert.Equal(3, lines.Count(l => l.StartsWith("{\"type\":\"usage\"", StringComparison.Ordinal)));
        Assert.StartsWith("{\"type\":\"end\"", lines[^1], StringComparison.Ordinal);
        await recorder.ShotAsync("data-export");

        // Every request the pages made went to Sluice or, during sign-in, to the identity provider.
        Assert.Empty(recorder.ExternalRequests);
    }
}
