using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Routing;

/// <summary>The routes of the data-policy matrix: one model per combination of region × retention × training,
/// each with one route to the same fake (its upstream model names the route, so the fake counts calls per route),
/// plus a model whose four routes differ only in their facts.</summary>
public sealed class DataPolicyMatrix : IAsyncLifetime
{
    public static readonly string[] Regions = ["us", "eu", "global"];
    public static readonly string[] Retentions = ["none", "abuse-monitoring", "unknown"];
    public static readonly string[] Trainings = ["yes", "no", "unknown"];

    /// <summary>The routes of <c>mixed</c>, in order: (region, retention, training).</summary>
    public static readonly (string Region, string Retention, string Training)[] Mixed =
        [("global", "unknown", "unknown"), ("eu", "none", "no"), ("us", "abuse-monitoring", "no"), ("us", "none", "no")];

    public FakeOpenAIUpstream Upstream { get; private set; } = null!;
    public SluiceApplication App { get; private set; } = null!;

    public static IEnumerable<(string Model, string Region, string Retention, string Training)> Singles() =>
        from region in Regions from retention in Retentions from training in Trainings
        select ($"m-{region}-{retention}-{training}", region, retention, training);

    public async Task InitializeAsync()
    {
        Upstream = await FakeOpenAIUpstream.StartAsync();
        var routes = new RouteSettings();
        foreach (var (model, region, retention, training) in Singles())
        {
            // "global" is the worst case an undeclared region gets; declaring nothing must behave the same.
            routes.Add(model, "openai", Upstream.BaseUrl, id: model, upstreamModel: model,
                region: region == "global" ? null : region, retention: retention, training: training,
                retentionDays: retention == "abuse-monitoring" ? 30 : null);
        }
        for (var i = 0; i < Mixed.Length; i++)
        {
            routes.Add("mixed", "openai", Upstream.BaseUrl, id: $"mixed-{i}", upstreamModel: $"mixed-{i}",
                region: Mixed[i].Region, retention: Mixed[i].Retention, training: Mixed[i].Training);
        }
        App = await SluiceApplication.StartAsync(routes);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public int CallsTo(string upstreamModel) => Upstream.Requests.Count(r => r.Json.GetProperty("model").GetString() == upstreamModel);
}

/// <summary>
/// Every route fact combination against the deployment default, account policies and the request header: each
/// request is served by the route its policy allows, or refused with 403 <c>data_policy_violation</c> naming the
/// rule, and a forbidden route's upstream is never called.
/// </summary>
public sealed class DataPolicyMatrixTests(DataPolicyMatrix matrix) : IClassFixture<DataPolicyMatrix>
{
    /// <summary>The rule as the issue states it, written independently of the gateway's code. The stamp is <c>us</c>.</summary>
    private static List<string> Violations(bool inRegionOnly, bool zeroRetentionOnly, bool allowTraining, string region, string retention, string training)
    {
        var violated = new List<string>();
        if (inRegionOnly && region != "us")
        {
            violated.Add("in_region_only");
        }
        if (zeroRetentionOnly && retention != "none")
        {
            violated.Add("zero_retention_only");
        }
        if (!allowTraining && training != "no")
        {
            violated.Add("allow_training");
        }
        return violated;
    }

    public static TheoryData<string, string?, string?, bool, bool, bool, int> Policies => new()
    {
        // name, account PUT body, header, then the effective policy, then the route of "mixed" that must serve (-1: none).
        { "deployment default", null, null, true, false, false, 2 },
        { "account: anywhere, training allowed", """{"in_region_only":false,"allow_training":true}""", null, false, false, true, 0 },
        { "account: zero retention anywhere", """{"in_region_only":false,"zero_retention_only":true}""", null, false, true, false, 1 },
        { "account: all three strict", """{"in_region_only":true,"zero_retention_only":true,"allow_training":false}""", null, true, true, false, 3 },
        { "header zero-retention on the default", null, "zero-retention", true, true, false, 3 },
        { "header zero-retention on a loose account", """{"in_region_only":false,"allow_training":true}""", "zero-retention", false, true, true, 1 },
        { "header in-region,no-training on a loose account", """{"in_region_only":false,"allow_training":true}""", "in-region, no-training", true, false, false, 2 },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task EachRoute_IsServedOrRefused_AsThePolicyInForceSays_AndForbiddenUpstreamsAreNeverCalled(
        string name, string? accountPolicy, string? header, bool inRegionOnly, bool zeroRetentionOnly, bool allowTraining, int mixedRoute)
    {
        var (_, key) = await matrix.App.CreateAccountAsync(name);
        using var client = matrix.App.CreateHttpClient(key);
        if (accountPolicy is not null)
        {
            using var put = await client.PutAsync("v1/account/data-policy", new StringContent(accountPolicy, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        if (header is not null)
        {
            client.DefaultRequestHeaders.Add("x-sluice-data-policy", header);
        }

        foreach (var (model, region, retention, training) in DataPolicyMatrix.Singles())
        {
            var before = matrix.CallsTo(model);
            using var response = await client.PostAsJsonAsync("v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "hi" } } });

            var violated = Violations(inRegionOnly, zeroRetentionOnly, allowTraining, region, retention, training);
            if (violated.Count == 0)
            {
                Assert.True(HttpStatusCode.OK == response.StatusCode, $"{name}: {model} should be served, got {(int)response.StatusCode}");
                Assert.Equal(before + 1, matrix.CallsTo(model));
            }
            else
            {
                Assert.True(HttpStatusCode.Forbidden == response.StatusCode, $"{name}: {model} should be refused, got {(int)response.StatusCode}");
                var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
                Assert.Equal("data_policy_violation", error.GetProperty("code").GetString());
                Assert.Equal("permission_error", error.GetProperty("type").GetString());
                var message = error.GetProperty("message").GetString()!;
                Assert.Contains(violated, rule => message.Contains(rule, StringComparison.Ordinal));
                Assert.DoesNotContain(new[] { "in_region_only", "zero_retention_only", "allow_training" }.Except(violated),
                    rule => message.Contains(rule, StringComparison.Ordinal));
                Assert.Equal(before, matrix.CallsTo(model));
            }
        }

        var mixedBefore = Enumerable.Range(0, DataPolicyMatrix.Mixed.Length).Select(i => matrix.CallsTo($"mixed-{i}")).ToArray();
        using var mixed = await client.PostAsJsonAsync("v1/chat/completions", new { model = "mixed", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.OK, mixed.StatusCode);
        for (var i = 0; i < DataPolicyMatrix.Mixed.Length; i++)
        {
            Assert.Equal(mixedBefore[i] + (i == mixedRoute ? 1 : 0), matrix.CallsTo($"mixed-{i}"));
        }
    }

    public static TheoryData<string, string?> SurfacesAndPolicies()
    {
        var data = new TheoryData<string, string?>();
        foreach (var path in (string[])["v1/responses", "v1/messages", "v1/messages/count_tokens", "v1/embeddings"])
        {
            data.Add(path, null);
            data.Add(path, "zero-retention");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SurfacesAndPolicies))]
    public async Task EverySurface_IsServedOrRefusedByTheSamePolicy_InItsOwnErrorShape_AndForbiddenUpstreamsAreNeverCalled(string path, string? header)
    {
        var (_, key) = await matrix.App.CreateAccountAsync();
        using var client = matrix.App.CreateHttpClient(key);
        if (header is not null)
        {
            client.DefaultRequestHeaders.Add("x-sluice-data-policy", header);
        }
        var anthropicShape = path.StartsWith("v1/messages", StringComparison.Ordinal);
        // Counting tokens on a route that is not Anthropic's is the gateway's estimate: no upstream call when served.
        var callsWhenServed = path == "v1/messages/count_tokens" ? 0 : 1;

        foreach (var (model, region, retention, training) in DataPolicyMatrix.Singles())
        {
            var before = matrix.CallsTo(model);
            object body = path switch
            {
                "v1/responses" => new { model, input = "hi" },
                "v1/embeddings" => new { model, input = "hi" },
                _ => new { model, max_tokens = 16, messages = new[] { new { role = "user", content = "hi" } } },
            };
            using var response = await client.PostAsJsonAsync(path, body);

            var violated = Violations(inRegionOnly: true, zeroRetentionOnly: header is not null, allowTraining: false, region, retention, training);
            if (violated.Count == 0)
            {
                Assert.True(HttpStatusCode.OK == response.StatusCode, $"{path}: {model} should be served, got {(int)response.StatusCode}");
                Assert.Equal(before + callsWhenServed, matrix.CallsTo(model));
                continue;
            }
            Assert.True(HttpStatusCode.Forbidden == response.StatusCode, $"{path}: {model} should be refused, got {(int)response.StatusCode}");
            var json = await response.Content.ReadFromJsonAsync<JsonElement>();
            var error = json.GetProperty("error");
            if (anthropicShape)
            {
                Assert.Equal("error", json.GetProperty("type").GetString());
                Assert.Equal("permission_error", error.GetProperty("type").GetString());
            }
            else
            {
                Assert.Equal("data_policy_violation", error.GetProperty("code").GetString());
                Assert.Equal("permission_error", error.GetProperty("type").GetString());
            }
            Assert.Contains(violated, rule => error.GetProperty("message").GetString()!.Contains(rule, StringComparison.Ordinal));
            Assert.Equal(before, matrix.CallsTo(model));
        }
    }

    [Fact]
    public async Task ModelsList_ShowsOnlyModelsWithAnAllowedRoute_WithTheirRoutesFacts()
    {
        var (_, key) = await matrix.App.CreateAccountAsync();
        using var client = matrix.App.CreateHttpClient(key);

        var models = (await client.GetFromJsonAsync<JsonElement>("v1/models")).GetProperty("data").EnumerateArray().ToList();
        client.DefaultRequestHeaders.Add("x-sluice-data-policy", "zero-retention");
        var strict = (await client.GetFromJsonAsync<JsonElement>("v1/models")).GetProperty("data").EnumerateArray().ToList();

        // Default policy: in region and no training, any retention.
        Assert.Equal(
            ["m-us-abuse-monitoring-no", "m-us-none-no", "m-us-unknown-no", "mixed", "mock"],
            models.Select(m => m.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["m-us-none-no", "mixed", "mock"], strict.Select(m => m.GetProperty("id").GetString()).Order(StringComparer.Ordinal));

        var abuse = models.Single(m => m.GetProperty("id").GetString() == "m-us-abuse-monitoring-no");
        Assert.Equal("model", abuse.GetProperty("object").GetString());
        var facts = Assert.Single(abuse.GetProperty("sluice").GetProperty("routes").EnumerateArray());
        Assert.Equal("us", facts.GetProperty("region").GetString());
        Assert.Equal("abuse-monitoring", facts.GetProperty("retention").GetString());
        Assert.Equal(30, facts.GetProperty("retention_days").GetInt32());
        Assert.Equal("no", facts.GetProperty("training").GetString());
        // Only the allowed routes of a model are shown: mixed has two in region, one of them zero-retention.
        var mixedRoutes = models.Single(m => m.GetProperty("id").GetString() == "mixed").GetProperty("sluice").GetProperty("routes");
        Assert.Equal(["mixed-2", "mixed-3"], mixedRoutes.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        var strictMixed = strict.Single(m => m.GetProperty("id").GetString() == "mixed").GetProperty("sluice").GetProperty("routes");
        Assert.Equal(["mixed-3"], strictMixed.EnumerateArray().Select(r => r.GetProperty("id").GetString()));
    }
}
