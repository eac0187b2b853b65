using System.Text;
using System.Text.Json;
using Sluice.Accounts;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Payloads;

/// <summary>Opted-in content through the real request path: stored encrypted, read back decrypted, shortened or
/// skipped per request, capped, and erased per request.</summary>
public sealed class StoredContentTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync(new Dictionary<string, string?>
    {
        ["Sluice:Retention:PayloadMaxBytes"] = "16384",
    });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<(Sluice.Accounts.Account Account, string Key)> RetainAllAsync(int days = 10)
    {
        var (account, key) = await _app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(_app, key, $$"""{"content_mode":"retain_all","content_retention_days":{{days}}}""")).Status);
        return (account, key);
    }

    private static string Today(int plusDays = 0) => DateTime.UtcNow.Date.AddDays(plusDays).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RetainAll_StoresTheRequestAndTheResponseTheClientGot_AndGetReturnsThemDecrypted(bool stream)
    {
        var (account, key) = await RetainAllAsync(days: 10);

        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "what the client asked", stream));

        Assert.Equal(200, answer.Status);
        var row = (await UsageRows.ForAccountAsync(_app, account.Id)).Single();
        Assert.Equal($"{account.Id}/{Today()}/{answer.RequestId}", row.GetString("ContentBlob"));
        Assert.Equal(Today(10), row.GetString("ContentExpiresOn"));
        var view = await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + answer.RequestId);
        Assert.Equal(200, view.Status);
        var json = view.Json;
        Assert.Equal("stored", json.GetProperty("content_status").GetString());
        Assert.Equal(answer.RequestId, json.GetProperty("usage").GetProperty("id").GetString());
        var content = json.GetProperty("content");
        Assert.Equal("what the client asked", content.GetProperty("request").GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal(stream ? "sse" : "json", content.GetProperty("response_format").GetString());
        if (stream)
        {
            Assert.Equal(answer.Body, content.GetProperty("response").GetString());
        }
        else
        {
            Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(answer.Body).RootElement), content.GetProperty("response").GetRawText());
        }
    }

    [Theory]
    [InlineData(""",\"store\":false""", null, null)]
    [InlineData("", "x-sluice-store", "none")]
    [InlineData("", "x-sluice-content-retention-days", "0")]
    public async Task ARequestCanOptOutOfStorage_EvenOnARetainAllAccount(string bodyExtra, string? header, string? value)
    {
        var (account, key) = await RetainAllAsync();

        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "private", extra: bodyExtra.Replace("\\\"", "\"", StringComparison.Ordinal)),
            header is null ? [] : [(header, value!)]);

        Assert.Equal(200, answer.Status);
        Assert.Null((await UsageRows.ForAccountAsync(_app, account.Id)).Single().GetString("ContentBlob"));
        Assert.Empty(await BlobsAsync(account.Id));
    }

    [Fact]
    public async Task ARequestCanShortenItsContentPeriod_ButNotLengthenIt()
    {
        var (account, key) = await RetainAllAsync(days: 10);

        var shorter = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "a"), ("x-sluice-content-retention-days", "2"));
        var longer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "b"), ("x-sluice-content-retention-days", "365"));

        var rows = await UsageRows.ForAccountAsync(_app, account.Id, 2);
        Assert.Equal(Today(2), rows.Single(r => r.GetString("RequestId") == shorter.RequestId).GetString("ContentExpiresOn"));
        Assert.Equal(Today(10), rows.Single(r => r.GetString("RequestId") == longer.RequestId).GetString("ContentExpiresOn"));
    }

    [Fact]
    public async Task NothingARequestSends_StoresContentForAMetadataOnlyAccount()
    {
        var (account, key) = await _app.CreateAccountAsync();

        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "private", extra: ",\"store\":true"),
            ("x-sluice-content-retention-days", "365"));

        Assert.Equal(200, answer.Status);
        Assert.Null((await UsageRows.ForAccountAsync(_app, account.Id)).Single().GetString("ContentBlob"));
        Assert.Empty(await BlobsAsync(account.Id));
    }

    [Fact]
    public async Task ABadConsentHeader_Is400_AndNothingIsSentUpstreamOrStored()
    {
        var (account, key) = await RetainAllAsync();

        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "x"), ("x-sluice-store", "forever"));

        Assert.Equal(400, answer.Status);
        Assert.Equal("x-sluice-store", answer.Json.GetProperty("error").GetProperty("param").GetString());
        Assert.Empty(await BlobsAsync(account.Id));
    }

    [Fact]
    public async Task AStreamLongerThanTheCap_ReachesTheClientWhole_WhileTheStoredCopyIsCutAndMarked()
    {
        var (account, key) = await RetainAllAsync();

        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "long", stream: true, extra: ",\"max_tokens\":3000"));
        await UsageRows.ForAccountAsync(_app, account.Id);

        Assert.Equal(200, answer.Status);
        Assert.True(Encoding.UTF8.GetByteCount(answer.Body) > 100_000);
        Assert.EndsWith("data: [DONE]\n\n", answer.Body, StringComparison.Ordinal);
        var content = (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + answer.RequestId)).Json.GetProperty("content");
        Assert.True(content.GetProperty("response_truncated").GetBoolean());
        Assert.Equal(Encoding.UTF8.GetByteCount(answer.Body), content.GetProperty("response_bytes").GetInt64());
        var kept = content.GetProperty("response").GetString()!;
        Assert.Equal(16384, Encoding.UTF8.GetByteCount(kept));
        Assert.StartsWith(kept, answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletingARequest_ErasesItsContent_AndKeepsItsMetadata()
    {
        var (account, key) = await RetainAllAsync();
        var answer = await Gateway.ChatAsync(_app, key, Gateway.ChatBody("mock", "erase me"));
        await UsageRows.ForAccountAsync(_app, account.Id);

        var deleted = await Gateway.SendAsync(_app, key, HttpMethod.Delete, "v1/requests/" + answer.RequestId);

        Assert.Equal(200, deleted.Status);
        Assert.Equal(1, deleted.Json.GetProperty("blobs_deleted").GetInt32());
        Assert.Empty(await BlobsAsync(account.Id));
        var row = (await UsageRows.ForAccountAsync(_app, account.Id)).Single();
        Assert.Null(row.GetString("ContentBlob") is { Length: > 0 } b ? b : null);
        Assert.Equal(200, row.GetInt32("Status"));
        var view = (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + answer.RequestId)).Json;
        Assert.Equal("not_stored", view.GetProperty("content_status").GetString());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("content").ValueKind);
        Assert.Equal(200, view.GetProperty("usage").GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("req_123", 400)]
    [InlineData("../../etc", 404)]
    [InlineData("req_0190a1b2c3d4e5f60718293a4b5c", 404)]
    public async Task MalformedOrUnknownRequestIds_AreRefused(string id, int status)
    {
        var (_, key) = await RetainAllAsync();
        Assert.Equal(status, (await Gateway.SendAsync(_app, key, HttpMethod.Get, "v1/requests/" + id)).Status);
        Assert.Equal(status, (await Gateway.SendAsync(_app, key, HttpMethod.Delete, "v1/requests/" + id)).Status);
    }

    private async Task<List<string>> BlobsAsync(string accountId)
    {
        var names = new List<string>();
        await foreach (var blob in _app.Storage.Payloads.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None,
            Azure.Storage.Blobs.Models.BlobStates.None, accountId + "/", default))
        {
            names.Add(blob.Name);
        }
        return names;
    }
}
