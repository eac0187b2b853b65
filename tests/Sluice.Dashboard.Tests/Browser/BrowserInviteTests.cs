using Sluice.Testing;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.Members;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.Host.Dev;
using Sluice.Testing.SignIn;
using Xunit.Abstractions;

namespace Sluice.Dashboard.Tests.Browser;

/// <summary>
/// Inviting a person, in real browsers: the account's Owner invites an email on the Team page; the invited person,
/// in another browser, signs in on the provider's login page with that (verified) email, accepts the invitation on
/// the dashboard's home page and lands in the account with the invited role. Screenshots go to
/// <c>TestResults/screenshots/invite-*.png</c>; how long each step took is written to the test output.
/// </summary>
public sealed class BrowserInviteTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnOwnerInvitesAnEmail_AndThePersonSigningInWithIt_LandsInTheAccount()
    {
        await using var sluice = await SignInFixture.StartSluiceAsync();
        var (account, ownerKey) = await MemberSignInTests.OwnerKeyCallerAsync(sluice);
        // The first Owner member comes from the API's Owner key; everything after is the browser.
        var (ownerInvitation, _) = await sluice.Services.GetRequiredService<MemberLifecycle>()
            .InviteAsync(ownerKey, TestIdentityProvider.Alice.Email, "owner", CancellationToken.None);
        Assert.NotNull(ownerInvitation);
        var clock = Stopwatch.StartNew();
        void Step(string name) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {name}");

        await using var ownerContext = await Chromium.NewContextAsync(sluice.BaseAddress);
        var owner = await ownerContext.NewPageAsync();
        await SignInAsync(owner, TestIdentityProvider.Alice);
        await owner.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Assertions.Expect(owner).ToHaveURLAsync(new Regex($"/dashboard/accounts/{account.Id}$"));
        Step("owner signed in and joined");

        await owner.GetByRole(AriaRole.Link, new() { Name = "Team" }).ClickAsync();
        await owner.GetByLabel("Email", new() { Exact = true }).FillAsync(TestIdentityProvider.Carol.Email);
        await owner.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("developer");
        await owner.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await Assertions.Expect(owner.GetByText($"{TestIdentityProvider.Carol.Email} as developer")).ToBeVisibleAsync();
        await Chromium.ShotAsync(owner, "invite-1-team-with-invitation");
        Step("owner invited carol");

        await using var invitedContext = await Chromium.NewContextAsync(sluice.BaseAddress);
        var invited = await invitedContext.NewPageAsync();
        await SignInAsync(invited, TestIdentityProvider.Carol);
        await Assertions.Expect(invited.GetByText($"Account {account.Id} invites you as developer.")).ToBeVisibleAsync();
        await Chromium.ShotAsync(invited, "invite-2-invited-home");
        await invited.GetByRole(AriaRole.Button, new() { Name = "Accept" }).ClickAsync();
        await Assertions.Expect(invited).ToHaveURLAsync(new Regex($"/dashboard/accounts/{account.Id}$"));
        await Assertions.Expect(invited.Locator("dl.identity")).ToContainTextAsync("developer");
        await Chromium.ShotAsync(invited, "invite-3-joined-account");
        Step("carol signed in and joined");

        // The Owner's Team page now lists the new member, and no invitation is left.
        await owner.ReloadAsync();
        await Assertions.Expect(owner.GetByRole(AriaRole.Cell, new() { Name = "Carol Example", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(owner.GetByText("No invitation is waiting.")).ToBeVisibleAsync();
        await Chromium.ShotAsync(owner, "invite-4-team-with-member");
        Step("owner sees carol as a member");
        var member = Assert.Single(await MemberSignInTests.ListAsync(sluice.Services.GetRequiredService<MemberStore>().ListAsync(account.Id, CancellationToken.None)),
            m => m.Email == TestIdentityProvider.Carol.Email);
        Assert.Equal(KeyRole.Developer, member.Role);
    }

    /// <summary>From the dashboard through the sign-in page and the provider's login page, back to the home page.</summary>
    private static async Task SignInAsync(IPage page, DevPerson person)
    {
        await page.GotoAsync("dashboard");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with " + TestIdentityProvider.DisplayName }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {person.Name} ({person.Email})" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard$"));
    }
}
