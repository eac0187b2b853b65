using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Routing;
using Sluice.Testing.Upstreams;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Routing;

/// <summary>One fake upstream and one host (no floors) shared by the tests; each test has its own account.</summary>
public sealed class DataPolicyApiFixture : IAsyncLifetime
{
    public FakeOpenAIUpstream Upstream { get; private set; } = null!;

    public SluiceApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeOpenAIUpstream.StartAsync();
        App = await StartAsync(Upstream, floor: false);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public static Task<SluiceApplication> StartAsync(FakeOpenAIUpstream upstream, bool floor) => SluiceApplication.StartAsync(new RouteSettings()
        .Add("in-region", "openai", upstream.BaseUrl, region: "us", retention: "none", training: "no")
        .Add("in-region-abuse", "openai", upstream.BaseUrl, region: "us", retention: "abuse-monitoring", retentionDays: 30, training: "no")
        .Add("eu", "openai", upstream.BaseUrl, region: "eu", retention: "none", training: "no")
        .Add("undeclared", "openai", upstream.BaseUrl, region: null, retention: null, training: null)
        .With("Sluice:DataPolicy:EnforceAsFloor", floor ? "true" : "false"));
}

/// <summary><c>GET/PUT /v1/account/data-policy</c>: who may use it, what it accepts, what it records, and that a
/// header or an account can only tighten what is above it.</summary>
public sealed class DataPolicyApiTests(DataPolicyApiFixture fixture) : IClassFixture<DataPolicyApiFixture>
{
    private FakeOpenAIUpstream Upstream => fixture.Upstream;

    /// <summary>The shared host, handed out as an async-disposable that does not dispose it, so a test reads the
    /// same whether it uses the shared host or one of its own.</summary>
    private async Task<Borrowed> StartAsync(bool floor = false) => floor
        ? new Borrowed(await DataPolicyApiFixture.StartAsync(Upstream, floor: true), owned: true)
        : new Borrowed(fixture.App, owned: false);

    private sealed class Borrowed(SluiceApplication app, bool owned) : IAsyncDisposable
    {
        public SluiceApplication App => app;

        public ValueTask DisposeAsync() => owned ? app.DisposeAsync() : ValueTask.CompletedTask;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client, string model, string? header = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        if (header is not null)
        {
            request.Headers.Add("x-sluice-data-policy", header);
        }
        return client.SendAsync(request);
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");

    private static async Task<string> KeyAsync(SluiceApplication app, Account account, string role, params string[] models)
    {
        var lifecycle = app.Services.GetRequiredService<AccountLifecycle>();
        var (key, error) = await lifecycle.CreateKeyAsync(account, new CreateKeyRequest(role, role, null, models), null, "test", null, CancellationToken.None);
        return key?.Key ?? throw new InvalidOperationException(error!.Message);
    }

    private static async Task<List<TableEntity>> AuditAsync(SluiceApplication app, string accountId)
    {
        var table = (await Azurite.TablesAsync()).GetTableClient(app.Name + "audit");
        var entries = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {accountId} and Action eq {DataPolicyHandlers.AuditAction}")))
        {
            entries.Add(e);
        }
        return entries;
    }

    [Fact]
    public async Task Get_ShowsTheDeploymentDefault_UntilTheAccountSetsItsOwn()
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (_, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);

        var policy = await client.GetFromJsonAsync<JsonElement>("v1/account/data-policy");

        Assert.Equal("data_policy", policy.GetProperty("object").GetString());
        Assert.Equal("deployment", policy.GetProperty("source").GetString());
        Assert.True(policy.GetProperty("in_region_only").GetBoolean());
        Assert.False(policy.GetProperty("zero_retention_only").GetBoolean());
        Assert.False(policy.GetProperty("allow_training").GetBoolean());
        Assert.Equal("us", policy.GetProperty("data_region").GetString());
        Assert.False(policy.GetProperty("deployment").GetProperty("enforced_as_floor").GetBoolean());
    }

    [Fact]
    public async Task Put_ByTheOwner_ChangesThePolicy_AppliesAtOnce_AndIsAuditedOldToNew()
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);
        // Caches the account, with the default policy, on this instance.
        using (var before = await ChatAsync(client, "undeclared"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        using var put = await client.PutAsync("v1/account/data-policy", Json("""{"in_region_only":false,"allow_training":true}"""));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var policy = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("account", policy.GetProperty("source").GetString());
        Assert.False(policy.GetProperty("in_region_only").GetBoolean());
        Assert.False(policy.GetProperty("zero_retention_only").GetBoolean());
        Assert.True(policy.GetProperty("allow_training").GetBoolean());
        using (var after = await ChatAsync(client, "undeclared"))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }
        var stored = await app.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.Equal(new DataPolicy(false, false, true), stored!.DataPolicy);
        var entry = Assert.Single(await AuditAsync(app, account.Id));
        Assert.Equal("deployment default -> in_region_only=false,zero_retention_only=false,allow_training=true", entry.GetString("Details"));
        Assert.StartsWith("key_", entry.GetString("Actor"), StringComparison.Ordinal);
        Assert.Equal(account.Id, entry.GetString("Target"));

        using var again = await client.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":true}"""));
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("zero_retention_only").GetBoolean());
        var second = (await AuditAsync(app, account.Id)).Select(e => e.GetString("Details")).ToList();
        Assert.Contains("in_region_only=false,zero_retention_only=false,allow_training=true -> in_region_only=false,zero_retention_only=true,allow_training=true", second);

        // Setting what is already in force changes nothing and records nothing.
        using var same = await client.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":true}"""));
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(2, (await AuditAsync(app, account.Id)).Count);
    }

    [Fact]
    public async Task AnAdminMayChangeIt_DeveloperAndRestrictedKeysMayNotEvenReadIt()
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (account, _) = await app.CreateAccountAsync();
        using var admin = app.CreateHttpClient(await KeyAsync(app, account, "admin"));
        using var developer = app.CreateHttpClient(await KeyAsync(app, account, "developer"));
        using var restricted = app.CreateHttpClient(await KeyAsync(app, account, "restricted", "in-region"));

        using var byAdmin = await admin.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":true}"""));
        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
        foreach (var client in new[] { developer, restricted })
        {
            using var get = await client.GetAsync("v1/account/data-policy");
            using var put = await client.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":false}"""));
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
            Assert.Equal("insufficient_role", (await ErrorOf(put)).GetProperty("code").GetString());
        }
        using var missingKey = await app.CreateHttpClient().GetAsync("v1/account/data-policy");
        Assert.Equal(HttpStatusCode.Unauthorized, missingKey.StatusCode);
        Assert.Single(await AuditAsync(app, account.Id));
    }

    [Theory]
    [InlineData("""{"in_region_only":"no"}""", "in_region_only")]
    [InlineData("""{"zero_retention":true}""", "zero_retention")]
    [InlineData("""{"allow_training":1}""", "allow_training")]
    [InlineData("[true]", null)]
    [InlineData("{", null)]
    [InlineData("", null)]
    public async Task Put_RefusesAnythingButTheThreeBooleans_ChangingNothing(string body, string? field)
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);

        using var response = await client.PutAsync("v1/account/data-policy", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        if (field is not null)
        {
            Assert.Contains(field, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        Assert.Null((await app.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None))!.DataPolicy);
        Assert.Empty(await AuditAsync(app, account.Id));
    }

    [Fact]
    public async Task ConcurrentChanges_AreAllApplied_OneAfterTheOther_EachAudited()
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);

        var responses = await Task.WhenAll(
            client.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":true}""")),
            client.PutAsync("v1/account/data-policy", Json("""{"in_region_only":false}""")),
            client.PutAsync("v1/account/data-policy", Json("""{"allow_training":true}""")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var stored = (await app.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None))!.DataPolicy;
        // Each PUT changed one setting of what it read; retried on conflict, none is lost.
        Assert.Equal(new DataPolicy(InRegionOnly: false, ZeroRetentionOnly: true, AllowTraining: true), stored);
        Assert.Equal(3, (await AuditAsync(app, account.Id)).Count);
    }

    [Theory]
    [InlineData("""{"in_region_only":false}""", "in_region_only")]
    [InlineData("""{"allow_training":true}""", "allow_training")]
    public async Task WithFloorsEnforced_AnAccountCannotLoosenThem_OnlyTighten(string body, string field)
    {
        await using var borrowed = await StartAsync(floor: true);
        var app = borrowed.App;
        var (account, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);

        using var looser = await client.PutAsync("v1/account/data-policy", Json(body));
        using var tighter = await client.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":true}"""));

        Assert.Equal(HttpStatusCode.BadRequest, looser.StatusCode);
        var error = await ErrorOf(looser);
        Assert.Equal("data_policy_below_floor", error.GetProperty("code").GetString());
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Contains("in_region_only=true,zero_retention_only=false,allow_training=false", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, tighter.StatusCode);
        var entry = Assert.Single(await AuditAsync(app, account.Id));
        Assert.EndsWith("zero_retention_only=true,allow_training=false", entry.GetString("Details"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithFloorsEnforced_AnAccountStoredBelowThem_IsStillHeldToThem()
    {
        await using var borrowed = await StartAsync(floor: true);
        var app = borrowed.App;
        var (account, key) = await app.CreateAccountAsync();
        // Set before the deployment declared its floor (written directly, as an older deployment would have).
        var store = app.Services.GetRequiredService<AccountStore>();
        var current = await store.GetAsync(account.Id, CancellationToken.None);
        Assert.NotNull(await store.TryUpdateAsync(current! with { DataPolicy = new DataPolicy(false, false, true) }, CancellationToken.None));
        using var client = app.CreateHttpClient(key);

        using var outside = await ChatAsync(client, "eu");
        using var inside = await ChatAsync(client, "in-region");
        var shown = await client.GetFromJsonAsync<JsonElement>("v1/account/data-policy");

        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        Assert.Contains("in_region_only", (await ErrorOf(outside)).GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);
        Assert.True(shown.GetProperty("in_region_only").GetBoolean());
        Assert.False(shown.GetProperty("allow_training").GetBoolean());
    }

    [Fact]
    public async Task AHeader_OnlyTightens_NeverLoosensTheAccountsPolicy()
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (_, key) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(key);
        var calls = Upstream.Calls;
        using (var put = await client.PutAsync("v1/account/data-policy", Json("""{"zero_retention_only":true}""")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var tightenedElsewhere = await ChatAsync(client, "in-region-abuse", "in-region");
        using var loosen = await ChatAsync(client, "in-region-abuse", "allow-training");
        using var unknownRule = await ChatAsync(client, "in-region", "anywhere");
        using var tightened = await ChatAsync(client, "in-region", "in-region, zero-retention, no-training");

        // The account's zero retention still holds whatever else the header says.
        Assert.Equal(HttpStatusCode.Forbidden, tightenedElsewhere.StatusCode);
        Assert.Contains("zero_retention_only", (await ErrorOf(tightenedElsewhere)).GetProperty("message").GetString(), StringComparison.Ordinal);
        // There is no loosening word: anything but the three tightening rules is refused, not ignored.
        Assert.Equal(HttpStatusCode.BadRequest, loosen.StatusCode);
        Assert.Equal("x-sluice-data-policy", (await ErrorOf(loosen)).GetProperty("param").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknownRule.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tightened.StatusCode);
        Assert.Equal(calls + 1, Upstream.Calls);
    }

    [Fact]
    public async Task ARestrictedKeysModelAllowlist_AndTheDataPolicy_BothApply()
    {
        await using var borrowed = await StartAsync();
        var app = borrowed.App;
        var (account, _) = await app.CreateAccountAsync();
        using var client = app.CreateHttpClient(await KeyAsync(app, account, "restricted", "in-region", "eu"));
        var calls = Upstream.Calls;

        var listed = (await client.GetFromJsonAsync<JsonElement>("v1/models")).GetProperty("data").EnumerateArray()
            .Select(m => m.GetProperty("id").GetString()).ToList();
        using var notAllowed = await ChatAsync(client, "in-region-abuse");
        using var outOfRegion = await ChatAsync(client, "eu");

        Assert.Equal(["in-region"], listed);
        Assert.Equal("model_not_allowed", (await ErrorOf(notAllowed)).GetProperty("code").GetString());
        Assert.Equal("data_policy_violation", (await ErrorOf(outOfRegion)).GetProperty("code").GetString());
        Assert.Equal(calls, Upstream.Calls);
    }
}
