using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Retention;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Storage;

/// <summary>
/// Storage is reached as in Azure, where the account has shared keys switched off: every client of the app (tables,
/// blobs, blob tags, the purge's lease, the meter's transactions) authenticates with the configured credential's
/// bearer token, over HTTPS, to an Azurite that checks the token. Every request the app sends is recorded, and none
/// may carry a shared key or a SAS (<see cref="SluiceApplication"/> fails any test whose app sent one).
/// </summary>
public sealed class StorageIdentityTests
{
    [Fact]
    public async Task EveryStorageClient_SendsTheCredentialsBearerToken_AndNothingElse()
    {
        await using var app = await SluiceApplication.StartAsync();
        var access = app.StorageAccess!;
        var (account, key) = await app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(app, key, """{"content_mode":"retain_all","content_retention_days":10}""")).Status);

        // A completion: its usage row (the meter's transaction) and its stored content (a blob uploaded with tags).
        var answer = await Gateway.ChatAsync(app, key, Gateway.ChatBody("mock", "hello"));
        Assert.Equal(200, answer.Status);
        Assert.NotNull(Assert.Single(await UsageRows.ForAccountAsync(app, account.Id)).GetString("ContentBlob"));
        // A purge run: its lease on the lock blob, and the search of expired content by blob tags.
        Assert.Equal("completed", (await app.Services.GetRequiredService<PurgeEngine>().RunAsync(CancellationToken.None)).Status);

        var requests = access.Requests.ToList();
        Assert.All(requests, r => Assert.True(r.IsBearerOnly, r.ToString()));
        var tables = access.TableServiceUri.GetLeftPart(UriPartial.Authority);
        var blobs = access.BlobServiceUri.GetLeftPart(UriPartial.Authority);
        Assert.Contains(requests, r => r.Endpoint == tables && r.Path.EndsWith("/$batch", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Endpoint == tables && r.Path.Contains(app.Name + "accounts", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Endpoint == blobs && r.Method == "PUT" && r.SetsTags);
        Assert.Contains(requests, r => r.Endpoint == blobs && r.Query.Contains("comp=lease", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Endpoint == blobs && r.Query.Contains("comp=blobs", StringComparison.Ordinal)
            && r.Query.Contains("where=", StringComparison.Ordinal));
        // The public cloud's audience by default, for every client.
        Assert.NotEmpty(access.Credential.Scopes);
        Assert.All(access.Credential.Scopes, s => Assert.Equal("https://storage.azure.com/.default", s));
    }

    [Fact]
    public async Task TheTestsAzurite_RefusesATokenItCannotRead_AndATokenForAnotherAudience()
    {
        using var access = await Azurite.AccessAsync();
        var garbage = DelegatedTokenCredential.Create((_, _) => new AccessToken("not-a-jwt", DateTimeOffset.MaxValue));
        var malformed = new TableServiceClient(access.TableServiceUri, garbage, new TableClientOptions { Transport = access.Transport });
        var otherCloud = new TableServiceClient(access.TableServiceUri, access.Credential,
            new TableClientOptions { Transport = access.Transport, Audience = TableAudience.AzureChina });

        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => malformed.CreateTableIfNotExistsAsync(Azurite.UniqueName()))).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(() => otherCloud.CreateTableIfNotExistsAsync(Azurite.UniqueName()))).Status);
    }

    [Fact]
    public async Task AClientSigningWithTheAccountKey_IsCaught_ThoughAzuriteAcceptsIt()
    {
        using var access = await Azurite.AccessAsync();
        var options = new StorageOptions
        {
            ConnectionString = access.SharedKeyConnectionString,
            TablePrefix = Azurite.UniqueName(),
            Transport = access.Transport,
        };
        var storage = new SluiceStorage(Options.Create(options), Options.Create(new StampOptions()));

        await storage.Usage.CreateIfNotExistsAsync();

        var caught = Assert.ThrowsAny<Exception>(access.AssertBearerOnly);
        Assert.Contains("SharedKey", caught.Message, StringComparison.Ordinal);
    }
}
