using System.Net;
using Azure.Data.Tables;
using Sluice.Accounts;
using Sluice.Host;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>The operator API (deployment secret) and the local host's CLI, which share the lifecycle code.</summary>
public sealed class OperatorApiTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(time: AccountApi.Clock());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("POST", "operator/accounts/{id}/suspend")]
    [InlineData("POST", "operator/accounts/{id}/reinstate")]
    [InlineData("POST", "operator/accounts/{id}/reopen")]
    [InlineData("POST", "operator/accounts/{id}/legal-hold")]
    [InlineData("GET", "operator/accounts/{id}")]
    [InlineData("GET", "operator/accounts")]
    [InlineData("POST", "operator/purge")]
    public async Task OperatorRoutes_WithoutTheSecret_Are401_EvenWithACustomerOwnerKey(string method, string path)
    {
        var (account, owner) = await _app.CreateAccountAsync();
        path = path.Replace("{id}", account.Id, StringComparison.Ordinal);

        foreach (var client in new[] { _app.CreateHttpClient(), _app.CreateHttpClient(owner), _app.CreateHttpClient("wrong-secret") })
        {
            var response = await client.SendAsync(new HttpMethod(method), path, """{"reason":"other","hold":true}""");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_operator_secret", await response.ErrorCodeAsync());
        }
        Assert.Equal(Sluice.Accounts.AccountState.Active, (await _app.StoredAccountAsync(account.Id))!.State);
    }

    [Fact]
    public async Task OperatorApi_WithNoSecretConfigured_IsDisabled()
    {
        await using var app = await SluiceApplication.StartAsync(new Dictionary<string, string?> { ["Sluice:Operator:Secret"] = "" });

        var response = await app.CreateHttpClient("").GetAsync("operator/accounts");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("operator_api_disabled", await response.ErrorCodeAsync());
    }

    [Fact]
    public async Task ListByState_And_Get_ShowEachAccountsLifecycle()
    {
        var (active, _) = await _app.CreateAccountAsync("Active");
        var (suspended, _) = await _app.CreateAccountAsync("Suspended");
        var (closed, closedOwner) = await _app.CreateAccountAsync("Closed");
        await _app.SuspendAsync(suspended.Id);
        await _app.CloseAsync(closed.Id, closedOwner);

        foreach (var (state, id) in new[] { ("active", active.Id), ("suspended", suspended.Id), ("expired", closed.Id), ("closed", closed.Id) })
        {
            var list = await (await _app.Operator().GetAsync($"operator/accounts?state={state}")).BodyAsync();
            var ids = list.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToList();
            Assert.Contains(id, ids);
            Assert.All(list.GetProperty("data").EnumerateArray(), a => Assert.Equal(state == "closed" ? "expired" : state, a.GetProperty("state").GetString()));
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Operator().GetAsync("operator/accounts?state=deleted")).StatusCode);

        var view = await (await _app.Operator().GetAsync($"operator/accounts/{closed.Id}")).BodyAsync();
        Assert.Equal(_app.Time!.GetUtcNow().AddDays(30), view.GetProperty("purge_after").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Operator().GetAsync("operator/accounts/acct_ffffffffffffffff")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Operator().GetAsync("operator/accounts/not-an-id")).StatusCode);
    }

    [Fact]
    public async Task ConcurrentSuspensions_ExactlyOneWins_TheOthersGet409_OneAuditEntry()
    {
        var (account, _) = await _app.CreateAccountAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            _app.Operator().PostAsync($"operator/accounts/{account.Id}/suspend", AccountApi.Json("""{"reason":"non_payment"}"""))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var suspensions = 0;
        await foreach (var e in _app.Storage.Audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {account.Id} and Action eq 'account.suspended'")))
        {
            suspensions++;
        }
        Assert.Equal(1, suspensions);
    }

    [Fact]
    public async Task PurgeRunNow_RunsTheEngine_AndReportsTheSummary()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        await _app.CloseAsync(account.Id, owner);
        _app.AdvanceDays(31);

        var response = await _app.Operator().PostAsync("operator/purge", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.BodyAsync();
        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal(1, result.GetProperty("counts").GetProperty("accounts_purged").GetInt64());
    }

    [Fact]
    public async Task Cli_SuspendReinstateLegalHoldReopenAndGet_UseTheSameRules()
    {
        var (account, owner) = await _app.CreateAccountAsync();
        var id = account.Id;

        Assert.Equal(0, (await CliAsync("accounts", "suspend", "--account", id, "--reason", "non_payment", "--note", "card declined")).Code);
        var again = await CliAsync("accounts", "suspend", "--account", id, "--reason", "non_payment");
        Assert.Equal(1, again.Code);
        Assert.Contains("already suspended", again.Errors, StringComparison.Ordinal);
        Assert.Contains(id, (await CliAsync("accounts", "list", "--state", "suspended")).Output, StringComparison.Ordinal);
        Assert.Equal(0, (await CliAsync("accounts", "reinstate", "--account", id)).Code);
        Assert.Equal(1, (await CliAsync("accounts", "legal-hold", "on", "--account", id)).Code);
        Assert.Equal(0, (await CliAsync("accounts", "legal-hold", "on", "--account", id, "--reason", "Subpoena 12")).Code);
        await _app.CloseAsync(id, owner);
        Assert.Equal(0, (await CliAsync("accounts", "reopen", "--account", id)).Code);

        var get = await CliAsync("accounts", "get", "--account", id);
        Assert.Equal(0, get.Code);
        Assert.Contains("\"state\": \"active\"", get.Output, StringComparison.Ordinal);
        Assert.Contains("Subpoena 12", get.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await CliAsync("accounts", "frobnicate")).Code);

        var actors = new List<string>();
        await foreach (var e in _app.Storage.Audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {id} and Actor eq 'cli'")))
        {
            actors.Add(e.GetString("Action")!);
        }
        Assert.Equal(["account.reinstated", "account.reopened", "account.suspended", "legal_hold.placed"], actors.Order(StringComparer.Ordinal));
    }

    private async Task<(int Code, string Output, string Errors)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await OperatorCli.RunAsync(_app.Services, args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }
}
