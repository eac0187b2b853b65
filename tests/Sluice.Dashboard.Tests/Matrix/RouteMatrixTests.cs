using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Accounts;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Matrix;

/// <summary>
/// The tenant × role matrix over every dashboard route the local host maps (read from its endpoint data source, so a
/// new route is in the matrix the moment it is mapped): each route must declare its <see cref="PageAccess"/>, and
/// each persona — nobody, the four roles, a member of another account, a removed member, the Owner of a suspended
/// and of a closed account — gets exactly the answer that declaration and the account-state rules give; and every
/// cookie those responses set is on docs/cookies.md's list.
/// </summary>
public sealed partial class RouteMatrixTests
{
    /// <summary>What a response was, as far as access goes.</summary>
    internal enum Outcome
    {
        /// <summary>Past the access check: the handler did its own work (a page, a redirect, its own 4xx).</summary>
        Reached,
        SentToSignIn,
        FormRejected,
        AccountNotFound,
        InsufficientRole,
        AccountSuspended,
        AccountClosed,
    }

    [Fact]
    public async Task EveryDashboardRoute_DeclaresItsAccess_AndAnswersEveryPersonaAsDeclared()
    {
        await using var world = await DashboardWorld.StartAsync();
        var routes = DashboardRoute.All(world.Sluice);

        Assert.True(routes.Count >= 14, string.Join(Environment.NewLine, routes));
        Assert.Empty(routes.Where(r => r.Access is null).Select(r => $"{r} declares no PageAccess (.WithMetadata(DashboardAccess.…))"));

        // A page about one key (the revoke confirmation) answers 404 for a key that does not exist, so the crawl asks
        // about a real key of each account: its first key.
        var keyStore = world.Sluice.Services.GetRequiredService<KeyStore>();
        var existing = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var accountId in world.Personas.Select(p => p.AccountId).Distinct())
        {
            await foreach (var key in keyStore.ListAsync(accountId, CancellationToken.None))
            {
                existing[accountId] = new Dictionary<string, string> { ["keyId"] = key.Id };
                break;
            }
        }

        var wrong = new StringBuilder();
        var cells = 0;
        foreach (var persona in world.Personas)
        {
            foreach (var route in routes)
            {
                var page = await world.RequestAsync(persona, route.Method, route.Path(persona.AccountId, existing.GetValueOrDefault(persona.AccountId)));
                var first = page.Steps[0];
                var (actual, expected) = (Classify(first), Expected(route.Access!, persona, route.IsGet));
                cells++;
                if (actual != expected)
                {
                    wrong.AppendLine($"{route} as {persona}: expected {expected}, got {actual} ({(int)first.Status} {first.Location})");
                }
                else if (expected == Outcome.Reached && route.IsGet && route.Access!.Audience == PageAudience.Member && first.Status != HttpStatusCode.OK)
                {
                    wrong.AppendLine($"{route} as {persona}: a permitted page answered {(int)first.Status}");
                }
            }
        }

        Assert.True(wrong.Length == 0, wrong.ToString());
        Assert.Equal(routes.Count * world.Personas.Count, cells);
        // Every cookie any of these responses set is on docs/cookies.md's list, with the attributes it promises.
        Assert.NotEmpty(SignIn.CookieListTests.AssertOnTheList(world.Personas.Select(p => p.Browser).Distinct().SelectMany(b => b.SetCookies)));
    }

    /// <summary>The answer the route's declared access gives the persona: the role matrix (one minimum role per route)
    /// and the account-state rules (suspended: nothing; closed: the Owner and Admins may still read their data).</summary>
    internal static Outcome Expected(PageAccess access, Persona persona, bool isGet)
    {
        if (access.Audience == PageAudience.Anyone)
        {
            return Outcome.Reached;
        }
        if (persona.Standing == Standing.Anonymous)
        {
            return isGet ? Outcome.SentToSignIn : Outcome.FormRejected;
        }
        if (access.Audience == PageAudience.SignedIn)
        {
            return Outcome.Reached;
        }
        var role = persona.Role!.Value;
        return persona.Standing switch
        {
            Standing.MemberOfAnotherAccount or Standing.RemovedMember => Outcome.AccountNotFound,
            Standing.MemberOfSuspendedAccount => Outcome.AccountSuspended,
            Standing.MemberOfClosedAccount when access.Purpose != CallerPurpose.ReadOwnData || role < KeyRole.Admin => Outcome.AccountClosed,
            _ => role >= access.MinimumRole ? Outcome.Reached : Outcome.InsufficientRole,
        };
    }

    internal static Outcome Classify(DashboardBrowser.Step response)
    {
        if (response.Status == HttpStatusCode.Redirect && response.Location?.OriginalString == DashboardPages.SignInPath)
        {
            return Outcome.SentToSignIn;
        }
        if (response.Status == HttpStatusCode.BadRequest && response.Body.Contains("<h1>Form not accepted</h1>", StringComparison.Ordinal))
        {
            return Outcome.FormRejected;
        }
        var code = RefusalCode().Match(response.Body) is { Success: true } match ? match.Groups["code"].Value : null;
        return (response.Status, code) switch
        {
            (HttpStatusCode.NotFound, "not_found") when response.Body.Contains("The account was not found.", StringComparison.Ordinal) => Outcome.AccountNotFound,
            (HttpStatusCode.Forbidden, "insufficient_role") when response.Body.Contains("This needs the", StringComparison.Ordinal) => Outcome.InsufficientRole,
            (HttpStatusCode.Forbidden, "account_suspended") => Outcome.AccountSuspended,
            (HttpStatusCode.Forbidden, "account_closed") => Outcome.AccountClosed,
            _ => Outcome.Reached,
        };
    }

    [GeneratedRegex("data-code=\"(?<code>[a-z_]+)\"")]
    private static partial Regex RefusalCode();
}
