using System.Net;
using System.Text.RegularExpressions;
using Sluice.Dashboard.Tests.SignIn;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Host.Dev;
using Sluice.Testing;
using Sluice.Testing.SignIn;
using Sluice.Dashboard.Tests.Members;

namespace Sluice.Dashboard.Tests.Matrix;

/// <summary>Where a persona stands towards the account whose routes it requests.</summary>
internal enum Standing
{
    Anonymous,
    Member,
    MemberOfAnotherAccount,
    RemovedMember,
    MemberOfSuspendedAccount,
    MemberOfClosedAccount,
}

/// <summary>One person (or nobody) requesting the dashboard routes of one account.</summary>
internal sealed record Persona(string Name, Standing Standing, DevPerson? Person, DashboardBrowser Browser, string AccountId, KeyRole? Role)
{
    public override string ToString() => Name;
}

/// <summary>A dashboard route of the running local host, with the access it declares (null: none declared).</summary>
internal sealed partial record DashboardRoute(string Method, string Pattern, PageAccess? Access)
{
    /// <summary>Sample values for the route parameters other than <c>accountId</c>: ids that exist nowhere, so a
    /// request that passes the access check does nothing. A new parameter needs a value here (the crawl says so).</summary>
    private static readonly Dictionary<string, string> s_samples = new(StringComparer.Ordinal)
    {
        ["provider"] = TestIdentityProvider.Name,
        ["file"] = DashboardAssets.Stylesheet,
        ["memberId"] = "mem_" + new string('0', 32),
        ["invitationId"] = "inv_" + new string('0', 16),
        ["requestId"] = "req_" + new string('0', 28),
        ["keyId"] = "key_" + new string('0', 16),
        ["subjectId"] = "key_" + new string('0', 16),
    };

    /// <summary>Every route under <c>/dashboard</c> the local host maps, from its endpoint data source.</summary>
    public static IReadOnlyList<DashboardRoute> All(SluiceApplication sluice) =>
        [.. sluice.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').Split('/')[0] == Wire.SluiceRoutes.Dashboard)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => new DashboardRoute(method, e.RoutePattern.RawText!.TrimStart('/'), e.Metadata.GetMetadata<PageAccess>())))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)];

    public bool IsGet => Method == "GET";

    /// <summary>The path for <paramref name="accountId"/>, with <paramref name="values"/> for other parameters
    /// (else the samples).</summary>
    public string Path(string accountId, IReadOnlyDictionary<string, string>? values = null) => Parameter().Replace(Pattern, m =>
    {
        var name = m.Groups["name"].Value;
        return name == "accountId" ? accountId
            : values?.GetValueOrDefault(name) ?? s_samples.GetValueOrDefault(name)
              ?? throw new InvalidOperationException($"The crawl has no sample value for {{{name}}} in {Pattern}: add one.");
    });

    public override string ToString() => $"{Method} {Pattern}";

    [GeneratedRegex(@"\{(?<name>[A-Za-z]+)\}")]
    private static partial Regex Parameter();
}

/// <summary>
/// The people and accounts the dashboard's route matrix and crawls run against, all through real sign-ins: account
/// A with an Owner, Admin, Developer and Restricted member; a person who belongs to another account; a removed member;
/// the Owner of a suspended account; the Owner of a closed account; and nobody signed in.
/// </summary>
internal sealed class DashboardWorld : IAsyncDisposable
{
    private readonly List<DashboardBrowser> _browsers = [];

    private DashboardWorld(SluiceApplication sluice) => Sluice = sluice;

    public SluiceApplication Sluice { get; }
    public Account Account { get; private set; } = null!;
    public string OwnerKey { get; private set; } = null!;
    public List<Persona> Personas { get; } = [];

    public static async Task<DashboardWorld> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var world = new DashboardWorld(await SignInFixture.StartSluiceAsync(settings));
        await world.PopulateAsync();
        return world;
    }

    private async Task PopulateAsync()
    {
        var (account, ownerKey) = await Sluice.CreateAccountAsync();
        var owner = await KeyCallerAsync(account, ownerKey);
        (Account, OwnerKey) = (account, ownerKey);
        var alice = Browser();
        var bob = Browser();
        var carol = Browser();
        var dave = Browser();
        await JoinAsync(alice, owner, TestIdentityProvider.Alice, KeyRole.Owner);
        await JoinAsync(bob, owner, TestIdentityProvider.Bob, KeyRole.Admin);
        await JoinAsync(carol, owner, TestIdentityProvider.Carol, KeyRole.Developer);
        await JoinAsync(dave, owner, TestIdentityProvider.Dave, KeyRole.Restricted);
        Personas.Add(new("anonymous", Standing.Anonymous, null, Browser(), account.Id, null));
        Personas.Add(new("owner", Standing.Member, TestIdentityProvider.Alice, alice, account.Id, KeyRole.Owner));
        Personas.Add(new("admin", Standing.Member, TestIdentityProvider.Bob, bob, account.Id, KeyRole.Admin));
        Personas.Add(new("developer", Standing.Member, TestIdentityProvider.Carol, carol, account.Id, KeyRole.Developer));
        Personas.Add(new("restricted", Standing.Member, TestIdentityProvider.Dave, dave, account.Id, KeyRole.Restricted));

        // Alice owns A; account B is not hers.
        var (other, _) = await Sluice.CreateAccountAsync("other");
        Personas.Add(new("member of another account", Standing.MemberOfAnotherAccount, TestIdentityProvider.Alice, alice, other.Id, KeyRole.Owner));

        var (left, leftKey) = await Sluice.CreateAccountAsync("removed");
        var leftOwner = await KeyCallerAsync(left, leftKey);
        await JoinAsync(bob, leftOwner, TestIdentityProvider.Bob, KeyRole.Admin);
        var bobInLeft = Assert.Single(await MemberSignInTests.ListAsync(Sluice.Services.GetRequiredService<MemberStore>().ListAsync(left.Id, CancellationToken.None)));
        Assert.Null(await Sluice.Services.GetRequiredService<MemberLifecycle>().RemoveAsync(leftOwner, bobInLeft, CancellationToken.None));
        Personas.Add(new("removed member", Standing.RemovedMember, TestIdentityProvider.Bob, bob, left.Id, KeyRole.Admin));

        var lifecycle = Sluice.Services.GetRequiredService<AccountLifecycle>();
        var (suspended, suspendedKey) = await Sluice.CreateAccountAsync("suspended");
        await JoinAsync(alice, await KeyCallerAsync(suspended, suspendedKey), TestIdentityProvider.Alice, KeyRole.Owner);
        Assert.Null((await lifecycle.SuspendAsync(suspended.Id, SuspensionReasons.NonPayment, null, "operator", null, CancellationToken.None)).Error);
        Personas.Add(new("owner of a suspended account", Standing.MemberOfSuspendedAccount, TestIdentityProvider.Alice, alice, suspended.Id, KeyRole.Owner));

        var (closed, closedKey) = await Sluice.CreateAccountAsync("closed");
        await JoinAsync(alice, await KeyCallerAsync(closed, closedKey), TestIdentityProvider.Alice, KeyRole.Owner);
        Assert.Null((await lifecycle.CloseAsync(closed.Id, "test", null, CancellationToken.None)).Error);
        Personas.Add(new("owner of a closed account", Standing.MemberOfClosedAccount, TestIdentityProvider.Alice, alice, closed.Id, KeyRole.Owner));
    }

    /// <summary>Sends one request to <paramref name="path"/> as <paramref name="persona"/>: a POST carries the persona's
    /// own anti-forgery token. A persona that a route signed out is signed in again first.</summary>
    public async Task<DashboardBrowser.Page> RequestAsync(Persona persona, string method, string path)
    {
        if (persona.Person is { } person && persona.Browser.SessionCookie is null)
        {
            var signedIn = await persona.Browser.SignInAsync(TestIdentityProvider.Name, person.Subject);
            Assert.Equal(HttpStatusCode.OK, signedIn.Last.Status);
        }
        if (method == "GET")
        {
            return await persona.Browser.GetAsync(path);
        }
        var tokenPage = await persona.Browser.GetAsync(persona.Person is null ? "dashboard/signin" : "dashboard");
        return await persona.Browser.SendAsync(new HttpMethod(method), new Uri(Sluice.BaseAddress, path), [tokenPage.Last.Csrf()]);
    }

    /// <summary>Invites <paramref name="person"/> as <paramref name="owner"/>, signs them in and accepts.</summary>
    public async Task JoinAsync(DashboardBrowser browser, Caller owner, DevPerson person, KeyRole role)
    {
        var (invitation, error) = await Sluice.Services.GetRequiredService<MemberLifecycle>().InviteAsync(owner, person.Email, role.ToWire(), CancellationToken.None);
        Assert.Null(error);
        var home = browser.SessionCookie is null ? await browser.SignInAsync(TestIdentityProvider.Name, person.Subject) : await browser.GetAsync("dashboard");
        var page = await browser.PostFormAsync($"/dashboard/accounts/{owner.Account.Id}/invitations/{invitation!.Id}/accept", [home.Last.Csrf()]);
        Assert.Equal(HttpStatusCode.OK, page.Last.Status);
    }

    public async Task<Caller> KeyCallerAsync(Account account, string key) =>
        new(account, (await Sluice.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(key), CancellationToken.None))!, null);

    public DashboardBrowser Browser()
    {
        var browser = new DashboardBrowser(Sluice.BaseAddress);
        _browsers.Add(browser);
        return browser;
    }

    public async ValueTask DisposeAsync()
    {
        _browsers.ForEach(b => b.Dispose());
        await Sluice.DisposeAsync();
    }
}
