using Sluice.Testing;
using Sluice.Wire;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// When a client holds a complete answer, its usage row is already durable (the Functions setting): the end of every
/// answer waits for the row's commit. Storage here is Azurite behind a proxy that holds each usage transaction until
/// the test lets it through, so "the row is not committed yet" is a state the test controls, not a race it hopes for.
/// </summary>
public sealed class AnswerEndTests
{
    public static TheoryData<string> Answers => new()
    {
        Gateway.ChatBody("mock", "hello"),
        Gateway.ChatBody("mock", "hello", stream: true),
        // An error answer (404, model not found) has a row too.
        Gateway.ChatBody("no-such-model", "hello"),
    };

    private static async Task<(SluiceApplication App, FlakyStorageProxy Storage, string AccountId, string Key)> StartAsync(
        Dictionary<string, string?> settings)
    {
        var storage = await FlakyStorageProxy.StartAsync();
        storage.LoseEveryNthBatch = int.MaxValue;
        settings["Sluice:Storage:TableServiceUri"] = storage.TableServiceUri.ToString();
        var app = await SluiceApplication.StartAsync(settings);
        var (account, key) = await app.CreateAccountAsync();
        return (app, storage, account.Id, key);
    }

    /// <summary>Holds every usage transaction from now on; <c>Held</c> completes when the first one arrives.</summary>
    private static (Task Held, TaskCompletionSource Release) HoldCommits(FlakyStorageProxy storage)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        storage.BeforeBatch = () =>
        {
            held.TrySetResult();
            return release.Task;
        };
        return (held.Task, release);
    }

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task WithWaitForCommit_NoAnswerIsCompleteBeforeItsRowIsCommitted(string body)
    {
        var (app, storage, accountId, key) = await StartAsync(new() { ["Sluice:Usage:WaitForCommit"] = "true" });
        await using var _ = storage;
        await using var __ = app;
        var (held, release) = HoldCommits(storage);
        try
        {
            var answer = Gateway.ChatAsync(app, key, body);
            await held.WaitAsync(TimeSpan.FromSeconds(30));

            // The row's commit is at storage and held there: the answer cannot be whole yet, however long it waits.
            Assert.NotSame(answer, await Task.WhenAny(answer, Task.Delay(TimeSpan.FromSeconds(1))));
            release.SetResult();
            var answered = await answer;
            Assert.True(answered.Status is 200 or 404, answered.Body);
            Assert.Equal(answered.RequestId, Assert.Single(await UsageRows.ForAccountAsync(app, accountId)).GetString("RequestId"));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Theory]
    [InlineData("true", "false")]
    [InlineData("false", "true")]
    public async Task WithoutTheHold_TheAnswerEndsFirst_AndItsRowFollows(string waitForCommit, string holdAnswerEnd)
    {
        var (app, storage, accountId, key) = await StartAsync(new()
        {
            ["Sluice:Usage:WaitForCommit"] = waitForCommit,
            ["Sluice:Usage:HoldAnswerEndUntilCommit"] = holdAnswerEnd,
        });
        await using var _ = storage;
        await using var __ = app;
        var (held, release) = HoldCommits(storage);
        try
        {
            var answered = await Gateway.ChatAsync(app, key, Gateway.ChatBody("mock", "hello", stream: true));
            await held.WaitAsync(TimeSpan.FromSeconds(30));

            // The whole answer arrived while its row's commit is still held at storage.
            Assert.Equal(200, answered.Status);
            Assert.EndsWith("data: [DONE]\n\n", answered.Body, StringComparison.Ordinal);
            release.SetResult();
            Assert.Equal(answered.RequestId, Assert.Single(await UsageRows.ForAccountAsync(app, accountId)).GetString("RequestId"));
        }
        finally
        {
            release.TrySetResult();
        }
    }
}
