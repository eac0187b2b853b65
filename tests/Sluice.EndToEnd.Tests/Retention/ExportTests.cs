using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Retention;

/// <summary><c>GET /v1/account/export</c>: everything stored for the account, decrypted, and nothing of anyone else.</summary>
public sealed class ExportTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static List<JsonElement> Lines(string body)
    {
        Assert.EndsWith("\n", body, StringComparison.Ordinal);
        return [.. body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
    }

    [Fact]
    public async Task TheExport_HoldsEveryRowRollupPayloadAndSettingsChange_OfTheAccount_AndNothingOfAnother()
    {
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all","content_retention_days":10}""")).Status);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", $"mine number {i}", stream: i % 2 == 1))).RequestId!);
        }
        ids.Add((await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "not stored"), ("x-sluice-store", "none"))).RequestId!);
        var (other, otherKey) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, otherKey, """{"content_mode":"retain_all"}""")).Status);
        var otherId = (await Gateway.ChatAsync(_app, otherKey, Gateway.ChatBody("mock", "SOMEONE ELSES SECRET"))).RequestId!;
        await UsageRows.ForAccountAsync(_app, account.Id, 5);
        await UsageRows.ForAccountAsync(_app, other.Id);

        using var client = _app.CreateHttpClient(key);
        using var response = await client.GetAsync("v1/account/export");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(other.Id, body, StringComparison.Ordinal);
        Assert.DoesNotContain(otherId, body, StringComparison.Ordinal);
        Assert.DoesNotContain("SOMEONE ELSES SECRET", body, StringComparison.Ordinal);

        var lines = Lines(body);
        var header = lines[0];
        Assert.Equal("export", header.GetProperty("type").GetString());
        Assert.Equal(account.Id, header.GetProperty("account_id").GetString());
        Assert.Equal("us", header.GetProperty("data_region").GetString());
        var settings = Assert.Single(lines, l => l.GetProperty("type").GetString() == "account").GetProperty("data");
        Assert.Equal("retain_all", settings.GetProperty("retention").GetProperty("content_mode").GetString());

        var usage = lines.Where(l => l.GetProperty("type").GetString() == "usage").Select(l => l.GetProperty("data")).ToList();
        Assert.Equal(ids.Order(), usage.Select(u => u.GetProperty("id").GetString()).Order());
        Assert.All(usage, u => Assert.Equal("us", u.GetProperty("data_region").GetString()));

        var payloads = lines.Where(l => l.GetProperty("type").GetString() == "payload").ToList();
        Assert.Equal(ids.Take(4).Order(), payloads.Select(p => p.GetProperty("request_id").GetString()).Order());
        for (var i = 0; i < 4; i++)
        {
            var payload = payloads.Single(p => p.GetProperty("request_id").GetString() == ids[i]).GetProperty("content");
            Assert.Equal($"mine number {i}", payload.GetProperty("request").GetProperty("messages")[0].GetProperty("content").GetString());
            Assert.False(string.IsNullOrEmpty(payload.GetProperty("response").ToString()));
        }

        var rollups = lines.Where(l => l.GetProperty("type").GetString() == "rollup").Select(l => l.GetProperty("data")).ToList();
        Assert.Equal(5, rollups.Sum(r => r.GetProperty("requests").GetInt64()));
        Assert.Equal(usage.Sum(u => u.GetProperty("total_tokens").GetInt64()), rollups.Sum(r => r.GetProperty("total_tokens").GetInt64()));

        var audit = lines.Where(l => l.GetProperty("type").GetString() == "audit").Select(l => l.GetProperty("data")).ToList();
        Assert.Contains(audit, a => a.GetProperty("action").GetString() == "retention.changed"
            && a.GetProperty("details").GetString()!.Contains("metadata_only -> retain_all", StringComparison.Ordinal));

        var end = lines[^1];
        Assert.Equal("end", end.GetProperty("type").GetString());
        Assert.Equal(5, end.GetProperty("usage").GetInt32());
        Assert.Equal(4, end.GetProperty("payloads").GetInt32());
        Assert.Equal(audit.Count, end.GetProperty("audit").GetInt32());
    }

    [Fact]
    public async Task AClosedAccount_CanStillBeExportedByItsOwner_ButItsKeysNoLongerCallModels()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var developer = await Gateway.CreateKeyAsync(_app, account, "developer");
        await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "before closing"));
        await UsageRows.ForAccountAsync(_app, account.Id);
        var store = _app.Services.GetRequiredService<AccountStore>();
        var current = await store.GetAsync(account.Id, CancellationToken.None);
        await store.TryUpdateAsync(current! with { State = AccountState.Expired, ExpiredAt = DateTimeOffset.UtcNow, ExpiryReason = "closed_by_owner" }, CancellationToken.None);
        _app.Services.GetRequiredService<GatewayAuthenticator>().Forget(account.Id);

        var export = await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/account/export");

        Assert.Equal(200, export.Status);
        Assert.Single(Lines(export.Body), l => l.GetProperty("type").GetString() == "usage");
        Assert.Equal(403, (await Gateway.SendAsync(_app, developer, HttpMethod.Get, "v1/account/export")).Status);
        Assert.Equal(403, (await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "after closing"))).Status);
        Assert.Equal(403, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all"}""")).Status);
    }
}
