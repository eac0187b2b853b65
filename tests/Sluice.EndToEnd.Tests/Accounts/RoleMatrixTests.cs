using System.Net;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>One account with a key of each role (the restricted one may call <c>mock</c> only), a second account to
/// aim at, and the app serving both models.</summary>
public sealed class RoleMatrixFixture : IAsyncLifetime
{
    public SluiceApplication App { get; private set; } = null!;
    public string AccountId { get; private set; } = "";
    public Dictionary<string, string> Keys { get; } = [];
    public string OwnerKeyId { get; private set; } = "";
    public string OtherAccountKeyId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        App = await SluiceApplication.StartAsync(new RouteSettings().Add("mock-large", "mock", apiKey: null));
        var (account, owner) = await App.CreateAccountAsync("Matrix");
        AccountId = account.Id;
        Keys["owner"] = owner;
        Keys["admin"] = (await App.CreateKeyAsync(account.Id, "admin")).Secret;
        Keys["developer"] = (await App.CreateKeyAsync(account.Id, "developer")).Secret;
        Keys["restricted"] = (await App.CreateKeyAsync(account.Id, "restricted", "mock")).Secret;
        var list = await (await App.CreateHttpClient(owner).GetAsync("v1/keys")).BodyAsync();
        OwnerKeyId = list.GetProperty("data").EnumerateArray().First(k => k.GetProperty("role").GetString() == "owner").GetProperty("id").GetString()!;
        var (other, _) = await App.CreateAccountAsync("Other");
        OtherAccountKeyId = (await App.CreateKeyAsync(other.Id, "developer")).Id;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Who may call what. Every route this branch adds, and the proxy, for each role: Developer and Restricted call
/// models (Restricted only its own); Owner and Admin also manage keys, settings and read the audit log; only the
/// Owner closes; nobody grants or touches a role above their own; another account's key is a 404.
/// </summary>
public sealed class RoleMatrixTests(RoleMatrixFixture fixture) : IClassFixture<RoleMatrixFixture>
{
    private const string Chat = """{"model":"mock","messages":[{"role":"user","content":"hi"}]}""";
    private const string ChatLarge = """{"model":"mock-large","messages":[{"role":"user","content":"hi"}]}""";
    private const string Messages = """{"model":"mock","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""";
    private const string MessagesLarge = """{"model":"mock-large","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>Method, path, body, then the expected status for owner, admin, developer, restricted.</summary>
    private static readonly (string Method, string Path, string? Body, int[] Expected)[] s_matrix =
    [
        ("POST", "v1/chat/completions", Chat, [200, 200, 200, 200]),
        ("POST", "v1/chat/completions", ChatLarge, [200, 200, 200, 403]),
        ("GET", "v1/models", null, [200, 200, 200, 200]),
        ("GET", "v1/models/mock", null, [200, 200, 200, 200]),
        ("GET", "v1/models/mock-large", null, [200, 200, 200, 404]),
        ("POST", "v1/messages", Messages, [200, 200, 200, 200]),
        ("POST", "v1/messages", MessagesLarge, [200, 200, 200, 403]),
        ("POST", "v1/embeddings", """{"model":"mock","input":"hi"}""", [200, 200, 200, 200]),
        ("POST", "v1/embeddings", """{"model":"mock-large","input":"hi"}""", [200, 200, 200, 403]),
        ("POST", "v1/messages/count_tokens", Messages, [200, 200, 200, 200]),
        ("POST", "v1/messages/count_tokens", MessagesLarge, [200, 200, 200, 403]),
        ("POST", "v1/responses", """{"model":"mock","input":"hi"}""", [200, 200, 200, 200]),
        ("POST", "v1/responses", """{"model":"mock-large","input":"hi"}""", [200, 200, 200, 403]),
        ("POST", "v1/responses/input_tokens", """{"model":"mock","input":"hi"}""", [200, 200, 200, 200]),
        ("POST", "v1/responses/input_tokens", """{"model":"mock-large","input":"hi"}""", [200, 200, 200, 403]),
        ("GET", "v1/account", null, [200, 200, 403, 403]),
        // A wrong confirmation proves the Owner passed the role check without closing the shared account.
        ("POST", "v1/account/close", """{"confirm":"not-this-account"}""", [400, 403, 403, 403]),
        ("GET", "v1/account/ip-allowlist", null, [200, 200, 403, 403]),
        ("PUT", "v1/account/ip-allowlist", """{"ip_allowlist":[]}""", [200, 200, 403, 403]),
        ("GET", "v1/audit", null, [200, 200, 403, 403]),
        ("GET", "v1/keys", null, [200, 200, 403, 403]),
        ("POST", "v1/keys", """{"role":"developer"}""", [201, 201, 403, 403]),
        ("POST", "v1/keys", """{"role":"owner"}""", [201, 403, 403, 403]),
        ("PATCH", "v1/keys/{fresh}", """{"role":"restricted","allowed_models":["mock"]}""", [200, 200, 403, 403]),
        ("PATCH", "v1/keys/{fresh}", """{"role":"owner"}""", [200, 403, 403, 403]),
        ("PATCH", "v1/keys/{owner}", """{"name":"renamed"}""", [200, 403, 403, 403]),
        ("DELETE", "v1/keys/{fresh}", null, [200, 200, 403, 403]),
        ("DELETE", "v1/keys/{fresh-owner}", null, [200, 403, 403, 403]),
        ("PATCH", "v1/keys/{other}", """{"name":"x"}""", [404, 404, 403, 403]),
        ("DELETE", "v1/keys/{other}", null, [404, 404, 403, 403]),
        ("DELETE", "v1/keys/key_00000000000000zz", null, [404, 404, 403, 403]),
    ];

    private static readonly string[] s_roles = ["owner", "admin", "developer", "restricted"];

    public static TheoryData<string, string, string, string?, int> Rows()
    {
        var rows = new TheoryData<string, string, string, string?, int>();
        foreach (var (method, path, body, expected) in s_matrix)
        {
            for (var i = 0; i < s_roles.Length; i++)
            {
                rows.Add(s_roles[i], method, path, body, expected[i]);
            }
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Role_CallsEndpoint_GetsExpectedStatus(string role, string method, string path, string? body, int expected)
    {
        var app = fixture.App;
        if (path.Contains("{fresh}", StringComparison.Ordinal))
        {
            path = path.Replace("{fresh}", (await app.CreateKeyAsync(fixture.AccountId, "developer")).Id, StringComparison.Ordinal);
        }
        if (path.Contains("{fresh-owner}", StringComparison.Ordinal))
        {
            path = path.Replace("{fresh-owner}", (await app.CreateKeyAsync(fixture.AccountId, "owner")).Id, StringComparison.Ordinal);
        }
        path = path.Replace("{owner}", fixture.OwnerKeyId, StringComparison.Ordinal).Replace("{other}", fixture.OtherAccountKeyId, StringComparison.Ordinal);

        var response = await app.CreateHttpClient(fixture.Keys[role]).SendAsync(new HttpMethod(method), path, body);

        Assert.Equal((HttpStatusCode)expected, response.StatusCode);
        if (expected == 403 && path.StartsWith("v1/messages", StringComparison.Ordinal))
        {
            // Anthropic's error shape: a type, no code.
            var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("error", error.GetProperty("type").GetString());
            Assert.Equal("permission_error", error.GetProperty("error").GetProperty("type").GetString());
        }
        else if (expected == 403)
        {
            Assert.Contains(await response.ErrorCodeAsync(), new[] { "insufficient_role", "model_not_allowed" });
        }
    }

    [Fact]
    public async Task Restricted_ListsOnlyTheModelsItsKeyAllows()
    {
        var models = await (await fixture.App.CreateHttpClient(fixture.Keys["restricted"]).GetAsync("v1/models")).BodyAsync();
        Assert.Equal(["mock"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        var all = await (await fixture.App.CreateHttpClient(fixture.Keys["developer"]).GetAsync("v1/models")).BodyAsync();
        Assert.Equal(2, all.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task KeyListing_ShowsOnlyTheCallersAccount_AndNeverASecret()
    {
        var response = await fixture.App.CreateHttpClient(fixture.Keys["admin"]).GetAsync("v1/keys");
        var text = await response.Content.ReadAsStringAsync();
        var keys = (await response.BodyAsync()).GetProperty("data").EnumerateArray().ToList();

        Assert.True(keys.Count >= 4);
        Assert.DoesNotContain(fixture.OtherAccountKeyId, text, StringComparison.Ordinal);
        foreach (var secret in fixture.Keys.Values)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
        Assert.All(keys, k => Assert.False(k.TryGetProperty("key", out _)));
        Assert.All(keys, k => Assert.StartsWith("sk-sluice-us-…", k.GetProperty("hint").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreatedKey_IsShownOnce_WorksAtOnce_HonoursItsExpiryAndModels()
    {
        var app = fixture.App;
        var created = await app.CreateHttpClient(fixture.Keys["admin"]).PostAsync("v1/keys",
            AccountApi.Json("""{"role":"restricted","name":"ci","allowed_models":["mock-large"],"expires_at":"2099-01-01T00:00:00Z"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.BodyAsync();
        var secret = body.GetProperty("key").GetString()!;
        Assert.Equal("restricted", body.GetProperty("role").GetString());

        Assert.Equal(HttpStatusCode.OK, (await app.CreateHttpClient(secret).ChatAsync("mock-large")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.CreateHttpClient(secret).ChatAsync("mock")).StatusCode);

        var past = await app.CreateHttpClient(fixture.Keys["admin"]).PostAsync("v1/keys", AccountApi.Json("""{"expires_at":"2001-01-01T00:00:00Z"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        var noModels = await app.CreateHttpClient(fixture.Keys["admin"]).PostAsync("v1/keys", AccountApi.Json("""{"role":"restricted"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noModels.StatusCode);

        var id = body.GetProperty("id").GetString();
        var revoked = await app.CreateHttpClient(fixture.Keys["owner"]).DeleteAsync($"v1/keys/{id}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var after = await app.CreateHttpClient(secret).ChatAsync("mock-large");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("key_revoked", await after.ErrorCodeAsync());
        var again = await app.CreateHttpClient(fixture.Keys["owner"]).DeleteAsync($"v1/keys/{id}");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }
}

/// <summary>The account keeps one usable Owner key whatever its keys do (an account without one could not be closed).</summary>
public sealed class LastOwnerKeyTests
{
    [Fact]
    public async Task LastOwnerKey_CannotBeRevokedOrDemoted_UntilAnotherOwnerKeyExists()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, owner) = await app.CreateAccountAsync();
        var client = app.CreateHttpClient(owner);
        var ownerId = (await (await client.GetAsync("v1/keys")).BodyAsync()).GetProperty("data")[0].GetProperty("id").GetString();

        var revoke = await client.DeleteAsync($"v1/keys/{ownerId}");
        Assert.Equal(HttpStatusCode.Conflict, revoke.StatusCode);
        Assert.Equal("last_owner_key", await revoke.ErrorCodeAsync());
        var demote = await client.SendAsync(HttpMethod.Patch, $"v1/keys/{ownerId}", """{"role":"admin"}""");
        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);

        var (_, second) = await app.CreateKeyAsync(account.Id, "owner");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Patch, $"v1/keys/{ownerId}", """{"role":"admin"}""")).StatusCode);
        // Demoted at once: the same key may no longer close the account.
        var close = await client.PostAsync("v1/account/close", AccountApi.Json($$"""{"confirm":"{{account.Id}}"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, close.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateHttpClient(second).GetAsync("v1/account")).StatusCode);
    }
}
