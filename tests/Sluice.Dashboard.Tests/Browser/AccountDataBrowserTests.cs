using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Sluice.Accounts;
using Sluice.Host.Dev;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.Testing;
using Sluice.Testing.SignIn;
using static Sluice.Dashboard.Tests.AccountData.AccountDataPagesTests;
using static Sluice.Dashboard.Tests.Browser.BrowserSignInTests;
using static Sluice.Dashboard.Tests.Members.MemberSignInTests;

namespace Sluice.Dashboard.Tests.Browser;

/// <summary>
/// Settings → Policies, Requests and Data in a real browser (headless Chromium): an Owner changes the retention with
/// the keyboard and finds the change in the audit log, reads and erases a stored request, erases all content and
/// closes the account with its typed id; a Developer cannot open Settings. A screenshot of each page (and of one
/// page at a phone's width) is written to <c>tests/Sluice.Dashboard.Tests/TestResults/screenshots/</c>.
/// </summary>
public sealed class AccountDataBrowserTests
{
    [Fact]
    public async Task AnOwner_ChangesRetention_ReadsAndErasesContent_AndClosesTheAccount_InTheBrowser()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner, key) = await OwnerAsync(sluice);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await SetRetentionAsync(sluice, key, "retain_all")).StatusCode);
        var canary = "CANARY-" + Guid.NewGuid().ToString("N");
        var requestId = await ChatAsync(sluice, key, canary + " <b>bold?</b>");
        Assert.Null((await sluice.Services.GetRequiredService<MemberLifecycle>().InviteAsync(owner, TestIdentityProvider.Alice.Email, "owner", CancellationToken.None)).Error);
        await using var context = await Chromium.NewContextAsync(sluice.BaseAddress);
        var page = await context.NewPageAsync();

        await SignInAsync(page, TestIdentityProvider.Alice);
        await page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Account {account.Id}");
        await Assertions.Expect(page.GetByText("State: Active.")).ToBeVisibleAsync();
        await PageRecorder.ShotAsync(page, "data-1-account");

        // Settings → Policies, with the keyboard: type the days and press Enter in the field.
        await page.GetByRole(AriaRole.Link, new() { Name = "Settings → Policies" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Settings → Policies");
        await PageRecorder.ShotAsync(page, "data-2-policies");
        var days = page.GetByLabel("Content retention (days)");
        await days.FocusAsync();
        await days.FillAsync("7");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved.");
        await Assertions.Expect(page.GetByLabel("Content retention (days)")).ToHaveValueAsync("7");
        await PageRecorder.ShotAsync(page, "data-3-policies-saved");
        var member = await MemberAsync(sluice, account.Id);
        var audit = await ListAsync(sluice.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, CancellationToken.None));
        var changed = Assert.Single(audit, e => e.Action == "retention.changed" && e.Actor == member.Id);
        Assert.Equal("content_retention_days: 10 -> 7", changed.Details);

        // Requests: the stored prompt, as text (the markup in it is not rendered), and its erase button.
        await page.GetByRole(AriaRole.Link, new() { Name = "Requests" }).ClickAsync();
        await page.GetByText("Content", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Content of " + requestId, new() { Exact = true })).ToContainTextAsync(canary + " <b>bold?</b>");
        Assert.Equal(0, await page.Locator("pre b").CountAsync());
        await PageRecorder.ShotAsync(page, "data-4-requests");
        await page.GetByRole(AriaRole.Button, new() { Name = "Erase the content of " + requestId }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The request's content was erased");
        Assert.DoesNotContain(canary, await page.ContentAsync(), StringComparison.Ordinal);

        // Data: erase all content, then close the account, refused until the id is typed.
        await page.GetByRole(AriaRole.Link, new() { Name = "Data" }).ClickAsync();
        await PageRecorder.ShotAsync(page, "data-5-data");
        await page.GetByRole(AriaRole.Button, new() { Name = "Erase all stored content" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("All stored content of this account was erased");
        await page.GetByLabel($"Type the account id, {account.Id}, to confirm").FillAsync("close it");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close the account" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The confirmation must be the account's id");
        Assert.Equal(AccountState.Active, (await AccountAsync(sluice, account.Id)).State);
        await PageRecorder.ShotAsync(page, "data-6-close-refused");
        await page.GetByLabel($"Type the account id, {account.Id}, to confirm").FillAsync(account.Id);
        await page.GetByRole(AriaRole.Button, new() { Name = "Close the account" }).ClickAsync();
        await Assertions.Expect(page.GetByText(new Regex("State: Closed on .* \\(purge_after\\)"))).ToBeVisibleAsync();
        Assert.Equal(AccountState.Expired, (await AccountAsync(sluice, account.Id)).State);
        await PageRecorder.ShotAsync(page, "data-7-closed");

        // At a phone's width the page fits: nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync($"dashboard/accounts/{account.Id}/settings/policies");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await PageRecorder.ShotAsync(page, "data-8-policies-phone");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/signin\\?signedout$"));
    }

    [Fact]
    public async Task ADeveloper_SeesNoSettingsLink_AndCannotOpenSettings_InTheBrowser()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, owner) = await OwnerKeyCallerAsync(sluice);
        Assert.Null((await sluice.Services.GetRequiredService<MemberLifecycle>().InviteAsync(owner, TestIdentityProvider.Carol.Email, "developer", CancellationToken.None)).Error);
        await using var context = await Chromium.NewContextAsync(sluice.BaseAddress);
        var page = await context.NewPageAsync();

        await SignInAsync(page, TestIdentityProvider.Carol);
        await page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Account {account.Id}");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Settings → Policies" })).ToHaveCountAsync(0);

        var response = await page.GotoAsync($"dashboard/accounts/{account.Id}/settings/policies");
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This needs the admin role or higher; your role in this account is developer.");
        await Assertions.Expect(page.GetByLabel("Content retention (days)")).ToHaveCountAsync(0);
        await PageRecorder.ShotAsync(page, "data-9-developer-refused");
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to your accounts" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByText("You are signed out.")).ToBeVisibleAsync();
    }

    private static async Task SignInAsync(IPage page, DevPerson person)
    {
        await page.GotoAsync("dashboard");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Test provider" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {person.Name} ({person.Email})" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard$"));
    }
}
