using System.Text;
using Microsoft.Extensions.Options;
using Sluice.Wire;

namespace Sluice.Core.Tests.Proxy;

public sealed class RequestBodyBudgetTests
{
    private static RequestBodyBudget Budget(long bytes) =>
        new(bytes, TimeProvider.System);

    [Fact]
    public void TakesWhatFits_RefusesWhatDoesNot_AndGivesBack()
    {
        var budget = Budget(1000);

        Assert.True(budget.TryTake(600));
        Assert.False(budget.TryTake(401));
        Assert.True(budget.TryTake(400));
        Assert.Equal(1000, budget.Held);
        budget.Give(600);
        Assert.True(budget.TryTake(500));
        Assert.Equal(900, budget.Held);
    }

    [Fact]
    public void ABody_HoldsItsArrayAndWhatItBuilds_UntilDisposed_AndALargeOneIsNotPooled()
    {
        var budget = Budget(64L * 1024 * 1024);
        var body = BufferedBody.TryCreate(4 * 1024 * 1024 + 1, budget)!;
        Assert.Equal(body.Capacity, budget.Held);
        Assert.True(body.TryGrow(8 * 1024 * 1024));
        Assert.Equal(8 * 1024 * 1024, body.Capacity);
        Assert.Equal(body.Capacity, budget.Held);
        Assert.True(body.TryHold(1234));
        Assert.Equal(body.Capacity + 1234L, budget.Held);

        body.Dispose();
        body.Dispose();

        Assert.Equal(0, budget.Held);
    }

    [Fact]
    public void AGrowthThatDoesNotFit_IsRefused_AndTheBodyKeepsItsBytes()
    {
        var budget = Budget(3 * 1024 * 1024);
        using var body = BufferedBody.TryCreate(2 * 1024 * 1024, budget)!;
        "abc"u8.CopyTo(body.Free.Span);
        body.Advance(3);

        Assert.False(body.TryGrow(2 * 1024 * 1024));

        Assert.Equal("abc"u8.ToArray(), body.Span.ToArray());
        Assert.Equal(2 * 1024 * 1024, budget.Held);
    }

    [Fact]
    public void TheWorkingSet_OfTextHeavyJson_IsAFewTimesItsSize_AndOfTokenDenseJson_WhatItsIndexCosts()
    {
        var text = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":"{{new string('x', 1_000_000)}}"}]}""");
        var dense = Encoding.UTF8.GetBytes("{\"model\":\"m\",\"x\":[" + string.Join(",", Enumerable.Repeat("1", 500_000)) + "]}");

        // Index rounded up to 1 MiB (the pool's size), plus two copies for the upstream.
        Assert.InRange(RequestBodyBudget.WorkingSet(text), 3 * text.Length, 4 * text.Length);
        // A token every two bytes: 12 bytes of index each, and room for the index to double.
        Assert.True(RequestBodyBudget.WorkingSet(dense) > 12 * 500_000 * 2);
    }
}
