using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Sluice.Accounts;
using Sluice.Dashboard.Tests.Members;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.Records;

/// <summary>The Audit log page: the account's entries newest first, in pages that neither repeat nor skip an entry
/// while new ones arrive, with who, what, which object and when, and never an entry's details or source address.</summary>
public sealed partial class AuditPageTests
{
    [Fact]
    public async Task TheAuditLog_ListsEveryEntryNewestFirst_InPagesOf50_ThatStayPutWhileNewEntriesArrive_WithoutDetails()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow().AddHours(-2));
        await using var s = await RecordsScenario.StartAsync(time);
        var audit = s.Get<AuditLog>();
        for (var i = 0; i < 70; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await audit.WriteAsync(s.Account.Id, s.Owner.Actor, "key.models_changed", $"key_{i:D4}", System.Net.IPAddress.Parse("203.0.113.9"),
                "canary-detail-7f3a", CancellationToken.None);
        }
        time.SetUtcNow(TimeProvider.System.GetUtcNow());
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "admin");
        var all = await MemberSignInTests.ListAsync(audit.QueryAsync(s.Account.Id, DateTimeOffset.MinValue, time.GetUtcNow(), CancellationToken.None));
        Assert.True(all.Count > 70);

        var first = (await alice.GetAsync($"{s.AccountPath}/audit")).Last;
        // An entry written after the first page was shown must not shift the following pages.
        time.Advance(TimeSpan.FromSeconds(1));
        await audit.WriteAsync(s.Account.Id, s.Owner.Actor, "account.ip_allowlist_changed", s.Account.Id, null, null, CancellationToken.None);
        var next = WebUtility.HtmlDecode(Next().Match(first.Body).Groups["href"].Value);
        var second = (await alice.GetAsync(next)).Last;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        var firstRows = Rows(first.Body);
        var secondRows = Rows(second.Body);
        Assert.Equal(50, firstRows.Count);
        Assert.Equal(all.Count - 50, secondRows.Count);
        Assert.DoesNotMatch(Next(), second.Body);
        Assert.Contains("rel=\"prev\"", second.Body, StringComparison.Ordinal);
        var shown = firstRows.Concat(secondRows).ToList();
        // Every entry once, newest first, as the audit log holds them.
        Assert.Equal(all.OrderByDescending(e => e.LastTime ?? e.Time).Select(e => (e.Action, e.Target ?? "")), shown.Select(r => (r.Action, r.Target)));
        Assert.Equal(shown.Select(r => r.Time).OrderDescending(StringComparer.Ordinal), shown.Select(r => r.Time));
        Assert.DoesNotContain("account.ip_allowlist_changed", first.Body + second.Body, StringComparison.Ordinal);
        // The actor by name; never the details nor the source address.
        Assert.Contains("key “owner” (" + s.Owner.Actor + ")", WebUtility.HtmlDecode(first.Body), StringComparison.Ordinal);
        Assert.DoesNotContain("canary-detail-7f3a", first.Body + second.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.9", first.Body + second.Body, StringComparison.Ordinal);
        // The member's own joining is there, under their name.
        Assert.Contains(shown, r => r.Action == "member.joined" && r.Actor.StartsWith("Alice Example (", StringComparison.Ordinal));

        // The newest entry is on a fresh first page.
        Assert.Equal("account.ip_allowlist_changed", Rows((await alice.GetAsync($"{s.AccountPath}/audit")).Last.Body)[0].Action);
    }

    [Theory]
    [InlineData("page=0")]
    [InlineData("page=101")]
    [InlineData("page=x")]
    [InlineData("to=tomorrow")]
    public async Task APageOutsideTheBounds_IsRefused(string query)
    {
        await using var s = await RecordsScenario.StartAsync();
        var alice = await s.JoinAsync(TestIdentityProvider.Alice, "owner");

        var page = (await alice.GetAsync($"{s.AccountPath}/audit?{query}")).Last;

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.DoesNotContain("<table", page.Body, StringComparison.Ordinal);
    }

    private static List<(string Time, string Actor, string Action, string Target)> Rows(string body) =>
        [.. Row().Matches(Regex.Replace(body, ">\\s+<", "><")).Select(m => (m.Groups["time"].Value, WebUtility.HtmlDecode(m.Groups["actor"].Value),
            m.Groups["action"].Value, m.Groups["target"].Value))];

    [GeneratedRegex("<tr><td class=\"when\">(?<time>[0-9-]+ [0-9:]+)</td><td>(?<actor>[^<]*)</td><td><code>(?<action>[^<]*)</code></td><td>(?:<code>(?<target>[^<]*)</code>)?</td></tr>")]
    private static partial Regex Row();

    [GeneratedRegex("<a href=\"(?<href>[^\"]*)\" rel=\"next\">")]
    private static partial Regex Next();
}
