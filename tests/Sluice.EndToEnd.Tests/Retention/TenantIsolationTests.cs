using Sluice.Accounts;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Retention;

/// <summary>Nothing of one account is readable or erasable with another account's key, and only Owner and Admin keys
/// reach an account's data at all: every endpoint of the data-rights API, one by one.</summary>
public sealed class TenantIsolationTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "GET", "v1/account/retention", null },
        { "PUT", "v1/account/retention", """{"content_mode":"metadata_only"}""" },
        { "DELETE", "v1/account/content", null },
        { "GET", "v1/account/export", null },
        { "GET", "v1/usage", null },
        { "GET", "v1/requests/{id}", null },
        { "DELETE", "v1/requests/{id}", null },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task DeveloperAndRestrictedKeys_AreRefused403(string method, string path, string? body)
    {
        var (victim, ownerKey, requestId) = await StoredRequestAsync();
        foreach (var role in (string[])["developer", "restricted"])
        {
            var key = await Gateway.CreateKeyAsync(_app, victim, role);
            var answer = await Gateway.SendAsync(_app, key, new HttpMethod(method), path.Replace("{id}", requestId, StringComparison.Ordinal), body);
            Assert.Equal(403, answer.Status);
            Assert.Equal("insufficient_role", answer.Json.GetProperty("error").GetProperty("code").GetString());
        }
        await AssertUntouchedAsync(ownerKey, requestId);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task AnotherAccountsOwnerKey_NeverReachesThisAccountsData(string method, string path, string? body)
    {
        var (_, victimKey, requestId) = await StoredRequestAsync();
        var (intruder, intruderKey) = await _app.CreateAccountAsync();

        var answer = await Gateway.SendAsync(_app, intruderKey, new HttpMethod(method), path.Replace("{id}", requestId, StringComparison.Ordinal), body);

        if (path.Contains("{id}", StringComparison.Ordinal))
        {
            // Another account's object does not exist for this key.
            Assert.Equal(404, answer.Status);
        }
        else
        {
            // Account-level endpoints act on the caller's own account only.
            Assert.True(answer.Status is 200 or 202, answer.Body);
            Assert.DoesNotContain(requestId, answer.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("victim prompt", answer.Body, StringComparison.Ordinal);
        }
        await AssertUntouchedAsync(victimKey, requestId);
        _ = intruder;
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task NoKeyOrAnUnknownKey_Is401(string method, string path, string? body)
    {
        var (_, ownerKey, requestId) = await StoredRequestAsync();
        foreach (var key in (string?[])[null, "sk-sluice-us-" + new string('x', 43)])
        {
            var answer = await Gateway.SendAsync(_app, key, new HttpMethod(method), path.Replace("{id}", requestId, StringComparison.Ordinal), body);
            Assert.Equal(401, answer.Status);
        }
        await AssertUntouchedAsync(ownerKey, requestId);
    }

    private async Task<(Sluice.Accounts.Account Account, string OwnerKey, string RequestId)> StoredRequestAsync()
    {
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all","content_retention_days":5}""")).Status);
        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "victim prompt"));
        await UsageRows.ForAccountAsync(_app, account.Id);
        return (account, key, answer.RequestId!);
    }

    private async Task AssertUntouchedAsync(string ownerKey, string requestId)
    {
        var view = await Gateway.SendAsync(_app, ownerKey, HttpMethod.Get, "v1/requests/" + requestId);
        Assert.Equal(200, view.Status);
        Assert.Equal("stored", view.Json.GetProperty("content_status").GetString());
        var settings = await Gateway.SendAsync(_app, ownerKey, HttpMethod.Get, "v1/account/retention");
        Assert.Equal("retain_all", settings.Json.GetProperty("content_mode").GetString());
    }
}
