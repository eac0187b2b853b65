using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.Members;
using Sluice.Dashboard.Tests.SignIn;
using Sluice.Host.Dev;
using Sluice.Testing;
using Sluice.Testing.SignIn;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Dashboard.Tests.Records;

/// <summary>A Sluice app trusting the test provider, with one account and its Owner key, and people who join it as
/// members through a real sign-in.</summary>
internal sealed class RecordsScenario : IAsyncDisposable
{
    private readonly List<DashboardBrowser> _browsers = [];

    private RecordsScenario(SluiceApplication app, Account account, Caller owner, string ownerKey) =>
        (App, Account, Owner, OwnerKey) = (app, account, owner, ownerKey);

    public SluiceApplication App { get; }
    public Account Account { get; }
    public Caller Owner { get; }
    public string OwnerKey { get; }

    public string AccountPath => $"/dashboard/accounts/{Account.Id}";

    public static async Task<RecordsScenario> StartAsync(FakeTimeProvider? time = null, IDictionary<string, string?>? settings = null)
    {
        var app = await SignInFixture.StartSluiceAsync(settings, time);
        var (account, ownerKey) = await app.CreateAccountAsync();
        var key = await app.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(ownerKey), CancellationToken.None);
        return new RecordsScenario(app, account, new Caller(account, key!, null), ownerKey);
    }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Invites <paramref name="person"/> with <paramref name="role"/>, signs them in and accepts: their browser.</summary>
    public async Task<DashboardBrowser> JoinAsync(DevPerson person, string role)
    {
        var (invitation, error) = await Get<MemberLifecycle>().InviteAsync(Owner, person.Email, role, CancellationToken.None);
        Assert.Null(error);
        var browser = new DashboardBrowser(App.BaseAddress);
        _browsers.Add(browser);
        var home = await browser.SignInAsync(TestIdentityProvider.Name, person.Subject);
        var page = await browser.PostFormAsync($"{AccountPath}/invitations/{invitation!.Id}/accept", [home.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
        return browser;
    }

    public async Task<Member> MemberAsync(DevPerson person) =>
        Assert.Single(await MemberSignInTests.ListAsync(Get<MemberStore>().ListAsync(Account.Id, CancellationToken.None)), m => m.Email == person.Email);

    /// <summary>A usage row as the meter records it for a request of this account.</summary>
    public UsageRecord Row(DateTimeOffset at, string model, int prompt, int completion, long costNanoUsd, int status = 200) => new()
    {
        RequestId = RequestId.New(at),
        AccountId = Account.Id,
        KeyId = Owner.Key.Id,
        DataRegion = Account.Region,
        Model = model,
        Status = status,
        PromptTokens = prompt,
        CompletionTokens = completion,
        CostNanoUsd = costNanoUsd,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var browser in _browsers)
        {
            browser.Dispose();
        }
        await App.DisposeAsync();
    }
}
