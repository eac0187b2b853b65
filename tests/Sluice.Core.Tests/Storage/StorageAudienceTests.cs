using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.Core.Tests.Storage;

/// <summary>Storage tokens are asked for the audience of the configured cloud, by every client alike.</summary>
public sealed class StorageAudienceTests
{
    [Theory]
    [InlineData(StorageOptions.PublicCloudAudience)]
    [InlineData(StorageOptions.ChinaCloudAudience)]
    [InlineData(StorageOptions.USGovernmentCloudAudience)]
    public async Task TablesBlobsAndTheMetersTransactions_AllAskForTheConfiguredAudience(string audience)
    {
        using var access = await Azurite.AccessAsync();
        var options = access.Options(Azurite.UniqueName());
        options.Audience = audience;
        var storage = new SluiceStorage(Options.Create(options), Options.Create(new StampOptions()));
        // Azurite takes the public cloud's audience only; a token for another cloud is refused there (403), as
        // a token for the wrong cloud would be in Azure.
        var accepted = audience == StorageOptions.PublicCloudAudience;

        await CallAsync(() => storage.Usage.CreateIfNotExistsAsync(), accepted);
        await CallAsync(() => storage.Payloads.CreateIfNotExistsAsync(), accepted);
        await CallAsync(() => storage.UsageTransactions.SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "r"))]), accepted);

        // One token per client pipeline: the tables, the blobs, and the meter's transactions.
        Assert.Equal(3, access.Credential.Scopes.Count);
        Assert.All(access.Credential.Scopes, scope => Assert.Equal(audience + "/.default", scope));
    }

    [Fact]
    public void TheAudience_IsReadFromConfiguration_AndOnlyAKnownCloudsIsAccepted()
    {
        Assert.Equal(StorageOptions.ChinaCloudAudience, Bind(StorageOptions.ChinaCloudAudience).Value.Audience);
        Assert.Equal(StorageOptions.PublicCloudAudience, Bind(null).Value.Audience);

        var refused = Assert.Throws<OptionsValidationException>(() => Bind("https://storage.example.com").Value);
        Assert.Contains("Audience", refused.Message, StringComparison.Ordinal);
    }

    private static IOptions<StorageOptions> Bind(string? audience)
    {
        var settings = new Dictionary<string, string?> { ["Sluice:Storage:TablePrefix"] = "sluice" };
        if (audience is not null)
        {
            settings["Sluice:Storage:Audience"] = audience;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddSluiceStorage()
            .BuildServiceProvider().GetRequiredService<IOptions<StorageOptions>>();
    }

    private static async Task CallAsync(Func<Task> call, bool accepted)
    {
        if (accepted)
        {
            await call();
        }
        else
        {
            Assert.Equal(403, (await Assert.ThrowsAsync<RequestFailedException>(call)).Status);
        }
    }
}
