using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using Sluice.Accounts;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Matrix;

/// <summary>
/// Stored content is shown in one place only: a canary prompt sent through the gateway for a <c>retain_all</c> account
/// and another for a <c>metadata_only</c> account appear in no dashboard page (every GET route, crawled as every
/// persona of both accounts) except the Requests page of the <c>retain_all</c> account for a role that page admits,
/// and in no log line.
/// </summary>
public sealed class CanaryPagesTests
{
    /// <summary>The one page that shows stored content (a retain_all account's recent requests).</summary>
    private const string RequestsPage = Wire.SluiceRoutes.DashboardRequests;

    [Fact]
    public async Task CanaryPrompts_AppearOnlyOnTheRetainAllAccountsRequestsPage_ForAPermittedRole_AndInNoLog()
    {
        await using var world = await DashboardWorld.StartAsync(new Dictionary<string, string?>
        {
            // Every category at every level: the search covers all that could be logged.
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        });
        var sluice = world.Sluice;
        var retainCanary = "CANARY" + Guid.NewGuid().ToString("N");
        var metadataCanary = "CANARY" + Guid.NewGuid().ToString("N");

        // Account A keeps content; account M (metadata_only, the default) has the same people in the same roles.
        using (var owner = sluice.CreateHttpClient(world.OwnerKey))
        {
            using var set = await owner.PutAsJsonAsync("v1/account/retention", new { content_mode = "retain_all", content_retention_days = 7 });
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }
        var (metadataOnly, metadataKey) = await sluice.CreateAccountAsync("metadata-only");
        var metadataOwner = await world.KeyCallerAsync(metadataOnly, metadataKey);
        var personas = new List<Persona>(world.Personas);
        foreach (var member in world.Personas.Where(p => p.Standing == Standing.Member).ToList())
        {
            await world.JoinAsync(member.Browser, metadataOwner, member.Person!, member.Role!.Value);
            personas.Add(member with { Name = member.Name + " of the metadata_only account", AccountId = metadataOnly.Id });
        }

        var requestIds = new List<string>();
        foreach (var (key, canary) in new[] { (world.OwnerKey, retainCanary), (metadataKey, metadataCanary) })
        {
            var completion = await sluice.OpenAIChat(key, "mock").CompleteChatAsync([new UserChatMessage("Repeat after me: " + canary)]);
            Assert.True(completion.GetRawResponse().Headers.TryGetValue("x-request-id", out var requestId));
            requestIds.Add(requestId!);
        }
        // The retain_all account did keep the prompt (the API shows it to its Owner), so a page could leak it.
        using (var owner = sluice.CreateHttpClient(world.OwnerKey))
        {
            Assert.Contains(retainCanary, await owner.GetStringAsync("v1/requests/" + requestIds[0]), StringComparison.Ordinal);
        }

        var routes = DashboardRoute.All(sluice).Where(r => r.IsGet).ToList();
        var leaks = new StringBuilder();
        var shown = 0;
        foreach (var persona in personas)
        {
            foreach (var route in routes)
            {
                var page = await world.RequestAsync(persona, route.Method, route.Path(persona.AccountId));
                var body = string.Concat(page.Steps.Select(s => s.Body));
                var permitted = route.Pattern == RequestsPage && persona.Standing == Standing.Member && persona.AccountId == world.Account.Id
                    && persona.Role >= route.Access!.MinimumRole;
                if (body.Contains(metadataCanary, StringComparison.Ordinal))
                {
                    leaks.AppendLine($"{route} as {persona} shows the metadata_only account's prompt");
                }
                if (body.Contains(retainCanary, StringComparison.Ordinal) && !permitted)
                {
                    leaks.AppendLine($"{route} as {persona} shows the retain_all account's prompt");
                }
                if (permitted)
                {
                    Assert.Contains(retainCanary, body, StringComparison.Ordinal);
                    shown++;
                }
            }
        }

        Assert.True(leaks.Length == 0, leaks.ToString());
        Assert.Equal(routes.Any(r => r.Pattern == RequestsPage), shown > 0);
        Assert.NotEmpty(sluice.Logs.Lines);
        Assert.DoesNotContain(sluice.Logs.Lines, line => line.Contains(retainCanary, StringComparison.Ordinal) || line.Contains(metadataCanary, StringComparison.Ordinal));
    }
}
