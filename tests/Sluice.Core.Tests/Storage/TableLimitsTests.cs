using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.Core.Tests.Storage;

/// <summary>Azure's entity and transaction limits, as the code checks them (Azurite checks only some).</summary>
public sealed class TableLimitsTests
{
    [Fact]
    public void EntitySize_IsAzuresCount()
    {
        var entity = new TableEntity("pk", "rk1")
        {
            ["Text"] = "abcd",
            ["Count"] = 7,
            ["Big"] = 7L,
            ["Ratio"] = 0.5,
            ["Flag"] = true,
            ["When"] = DateTimeOffset.UnixEpoch,
            ["Id"] = Guid.Empty,
            ["Bytes"] = new byte[10],
            ["Nothing"] = null,
        };

        // 4 + 2·(2 + 3), then per property 8 + 2·name + value.
        long expected = 4 + 2 * 5
            + (8 + 2 * 4 + 4 + 2 * 4) + (8 + 2 * 5 + 4) + (8 + 2 * 3 + 8) + (8 + 2 * 5 + 8) + (8 + 2 * 4 + 1)
            + (8 + 2 * 4 + 8) + (8 + 2 * 2 + 16) + (8 + 2 * 5 + 4 + 10) + (8 + 2 * 7);
        Assert.Equal(expected, TableLimits.EntitySize(entity));
    }

    [Fact]
    public void Violation_RefusesWhatAzureRefuses_AndTakesWhatItTakes()
    {
        Assert.Null(TableLimits.Violation(new TableEntity("p", "r") { ["S"] = new string('s', TableLimits.MaxStringLength) }));
        Assert.NotNull(TableLimits.Violation(new TableEntity("p", "r") { ["S"] = new string('s', TableLimits.MaxStringLength + 1) }));
        Assert.NotNull(TableLimits.Violation(new TableEntity("p/", "r")));
        Assert.NotNull(TableLimits.Violation(new TableEntity("p", new string('r', TableKey.MaxLength + 1))));
        Assert.NotNull(TableLimits.Violation(new TableEntity("p", "r") { [new string('n', TableLimits.MaxPropertyNameLength + 1)] = 1 }));

        var many = new TableEntity("p", "r");
        for (var i = 0; i < TableLimits.MaxProperties; i++)
        {
            many["P" + i] = i;
        }
        Assert.Null(TableLimits.Violation(many));
        many["OneMore"] = 1;
        Assert.NotNull(TableLimits.Violation(many));

        // Each string within its limit, the whole over 1 MiB: Azurite would store it; Azure would not.
        var large = new TableEntity("p", "r");
        for (var i = 0; i < 17; i++)
        {
            large["S" + i] = new string('s', TableLimits.MaxStringLength);
        }
        Assert.Contains("entity", TableLimits.Violation(large), StringComparison.Ordinal);
    }

    [Fact]
    public void TransactionViolation_RefusesOver100Actions_TwoPartitions_AndOver4MiB()
    {
        static TableTransactionAction Add(string pk, int i, int chars = 0) =>
            new(TableTransactionActionType.Add, new TableEntity(pk, "r" + i) { ["S"] = new string('s', chars) });

        Assert.Null(TableLimits.TransactionViolation([.. Enumerable.Range(0, 100).Select(i => Add("p", i))]));
        Assert.NotNull(TableLimits.TransactionViolation([.. Enumerable.Range(0, 101).Select(i => Add("p", i))]));
        Assert.NotNull(TableLimits.TransactionViolation([Add("p", 0), Add("q", 1)]));
        // 100 entities of 32 K characters: every one fine, together (escaped, up to 6 bytes a character) far over 4 MiB.
        Assert.Contains("bytes", TableLimits.TransactionViolation([.. Enumerable.Range(0, 100).Select(i => Add("p", i, TableLimits.MaxStringLength))]),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTransactionBound_IsNeverBelowTheRequestTheSdkSends_WhateverTheText()
    {
        using var access = await Azurite.AccessAsync();
        var storage = new SluiceStorage(Options.Create(access.Options(Azurite.UniqueName())), Options.Create(new StampOptions()));
        await storage.Usage.CreateIfNotExistsAsync();
        string[] texts = ["plain", "\"quoted\\\"", "\u0001\u001f control", "\ud83e\udd16 emoji", "模型 é", new string('<', 2000), "\u2028\u2029"];
        var actions = texts.Select((text, i) => new TableTransactionAction(
            i % 2 == 0 ? TableTransactionActionType.Add : TableTransactionActionType.UpsertReplace,
            new TableEntity("p", "r" + i) { ["Text"] = text, ["Tokens"] = 12L, ["At"] = DateTimeOffset.UnixEpoch, ["Flag"] = true })).ToList();

        await storage.UsageTransactions.SubmitTransactionAsync(actions);

        var sent = Assert.Single(access.Requests, r => r.Path.EndsWith("/$batch", StringComparison.Ordinal));
        Assert.NotNull(sent.BodyBytes);
        Assert.InRange(sent.BodyBytes!.Value, 1, TableLimits.TransactionBytes(actions));
    }
}
