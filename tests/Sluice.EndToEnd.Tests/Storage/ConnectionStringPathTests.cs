using Microsoft.Extensions.DependencyInjection;
using Sluice.Retention;
using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Storage;

/// <summary>
/// The local path, as <c>dotnet run --project src/Sluice.Host -- dev</c> runs it: a shared-key connection string to a
/// plain-HTTP Azurite, with the local host's usage settings. The rest of the suite runs the Azure path (bearer tokens
/// over HTTPS); these few keep the local one working.
/// </summary>
public sealed class ConnectionStringPathTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Completions_AreMetered_TheirContentStoredAndReadBack_AndThePurgeRuns(bool stream)
    {
        await using var app = await SluiceApplication.StartOnConnectionStringAsync(new Dictionary<string, string?>
        {
            ["Sluice:Usage:WaitForCommit"] = "false",
            ["Sluice:Usage:GatherDelay"] = "00:00:00.050",
        });
        Assert.Null(app.StorageAccess);
        var (account, key) = await app.CreateAccountAsync();
        Assert.Equal(200, (await Gateway.SetRetentionAsync(app, key, """{"content_mode":"retain_all","content_retention_days":10}""")).Status);

        var answers = new List<Gateway.Answer>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await Gateway.ChatAsync(app, key, Gateway.ChatBody("mock", "hello " + i, stream)));
        }

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        var rows = await UsageRows.ForAccountAsync(app, account.Id, expected: answers.Count);
        Assert.Equal(answers.Select(a => a.RequestId).Order(), rows.Select(r => r.GetString("RequestId")).Order());
        Assert.All(rows, r => Assert.NotNull(r.GetString("ContentBlob")));
        var stored = await Gateway.SendAsync(app, key, HttpMethod.Get, "v1/requests/" + answers[0].RequestId);
        Assert.Equal("stored", stored.Json.GetProperty("content_status").GetString());
        Assert.Equal("completed", (await app.Services.GetRequiredService<PurgeEngine>().RunAsync(CancellationToken.None)).Status);
    }
}
