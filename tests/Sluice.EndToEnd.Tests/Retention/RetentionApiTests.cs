using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Retention;

/// <summary><c>GET/PUT /v1/account/retention</c>: defaults, the deployment's bounds, audit, and consent that takes
/// effect at once.</summary>
public sealed class RetentionApiTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(new Dictionary<string, string?>
    {
        ["Sluice:Retention:MaxContentRetentionDays"] = "60",
        ["Sluice:Retention:MinUsageRetentionDays"] = "7",
        ["Sluice:Retention:MaxUsageRetentionDays"] = "180",
    });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ANewAccount_IsMetadataOnly_WithTheDeploymentDefaults_AndSeesItsLimits()
    {
        var (_, key) = await _app.CreateAccountAsync();

        var answer = await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/account/retention");

        Assert.Equal(200, answer.Status);
        var json = answer.Json;
        Assert.Equal("metadata_only", json.GetProperty("content_mode").GetString());
        Assert.Equal(30, json.GetProperty("content_retention_days").GetInt32());
        Assert.Equal(90, json.GetProperty("usage_retention_days").GetInt32());
        Assert.Equal(60, json.GetProperty("limits").GetProperty("content_retention_days").GetProperty("max").GetInt32());
        Assert.Equal(7, json.GetProperty("limits").GetProperty("usage_retention_days").GetProperty("min").GetInt32());
        Assert.Equal(400, json.GetProperty("limits").GetProperty("rollup_retention_days").GetInt32());
    }

    [Theory]
    [InlineData("""{"content_retention_days":61}""", "'content_retention_days' must be from 0 to 60 on this deployment.")]
    [InlineData("""{"content_retention_days":-1}""", "'content_retention_days' must be from 0 to 60 on this deployment.")]
    [InlineData("""{"usage_retention_days":6}""", "'usage_retention_days' must be from 7 to 180 on this deployment.")]
    [InlineData("""{"usage_retention_days":181}""", "'usage_retention_days' must be from 7 to 180 on this deployment.")]
    [InlineData("""{"content_retention_days":50,"usage_retention_days":40}""", "'content_retention_days' (50) must not exceed 'usage_retention_days' (40): content never outlives its metadata row.")]
    [InlineData("""{"content_mode":"everything"}""", "'content_mode' must be metadata_only or retain_all.")]
    public async Task OutOfRangeOrInconsistentSettings_Are400_StatingTheRule_AndChangeNothing(string body, string message)
    {
        var (account, key) = await _app.CreateAccountAsync();

        var answer = await Gateway.SetRetentionAsync(_app, key, body);

        Assert.Equal(400, answer.Status);
        Assert.Equal(message, answer.Json.GetProperty("error").GetProperty("message").GetString());
        var stored = await _app.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.Equal(account.Retention, stored!.Retention);
    }

    [Theory]
    [InlineData("""{"content_retention":7}""")]
    [InlineData("""{"content_retention_days":"7"}""")]
    [InlineData("""not json""")]
    public async Task UnknownFieldsAndWrongTypes_Are400(string body)
    {
        var (_, key) = await _app.CreateAccountAsync();
        Assert.Equal(400, (await Gateway.SetRetentionAsync(_app, key, body)).Status);
    }

    [Fact]
    public async Task AChange_IsAuditedWithWhoWhenAndOldToNew()
    {
        var (account, key) = await _app.CreateAccountAsync();
        var admin = await Gateway.CreateKeyAsync(_app, account, "admin");

        var answer = await Gateway.SetRetentionAsync(_app, admin, """{"content_mode":"retain_all","content_retention_days":7,"usage_retention_days":30}""");

        Assert.Equal(200, answer.Status);
        Assert.Equal("retain_all", answer.Json.GetProperty("content_mode").GetString());
        var entries = new List<AuditEntry>();
        await foreach (var e in _app.Services.GetRequiredService<AuditLog>().QueryAsync(account.Id, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), CancellationToken.None))
        {
            entries.Add(e);
        }
        var change = Assert.Single(entries, e => e.Action == "retention.changed");
        Assert.Equal("content_mode: metadata_only -> retain_all; content_retention_days: 30 -> 7; usage_retention_days: 90 -> 30", change.Details);
        Assert.StartsWith("key_", change.Actor, StringComparison.Ordinal);
        Assert.NotEqual(account.Id, change.Actor);
        Assert.True(DateTimeOffset.UtcNow - change.Time < TimeSpan.FromMinutes(1));
        Assert.Equal("127.0.0.1", change.SourceIp);
        _ = key;
    }

    [Fact]
    public async Task SwitchingToMetadataOnly_StopsStoringAtOnce()
    {
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"retain_all","content_retention_days":7}""")).Status);
        // The key and account are now cached by the authenticator; a change must not wait for the cache to expire.
        var stored = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "keep this"));
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, """{"content_mode":"metadata_only"}""")).Status);
        var notStored = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "not this"));

        var rows = await UsageRows.ForAccountAsync(_app, account.Id, 2);
        Assert.NotNull(rows.Single(r => r.GetString("RequestId") == stored.RequestId).GetString("ContentBlob"));
        Assert.Null(rows.Single(r => r.GetString("RequestId") == notStored.RequestId).GetString("ContentBlob"));
        Assert.Equal("not_stored", (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + notStored.RequestId)).Json.GetProperty("content_status").GetString());
    }
}
