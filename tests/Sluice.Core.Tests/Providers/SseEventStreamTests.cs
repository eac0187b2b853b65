using System.Text;
using Sluice.Providers;

namespace Sluice.Core.Tests.Providers;

public sealed class SseEventStreamTests
{
    /// <summary>A stream that hands out at most <c>chunk</c> bytes per read, to split events at every boundary.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }

    private static async Task<(List<string> Events, bool Completed)> ReadAllAsync(string sse, int chunk)
    {
        await using var stream = new SseEventStream(new TrickleStream(Encoding.UTF8.GetBytes(sse), chunk));
        var events = new List<string>();
        while (await stream.MoveNextAsync(CancellationToken.None))
        {
            events.Add(Encoding.UTF8.GetString(stream.Current.Span));
        }
        return (events, stream.Completed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Events_AreYieldedWhole_InOrder_HoweverTheBytesArrive(int chunk)
    {
        const string sse = "data: {\"a\":1}\n\n: comment\n\nevent: x\nid: 3\ndata:{\"b\":2}\r\n\r\ndata: {\"c\":\ndata: 3}\n\ndata: [DONE]\n\n";

        var (events, completed) = await ReadAllAsync(sse, chunk);

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "{\"c\":\n3}"], events);
        Assert.True(completed);
    }

    [Fact]
    public async Task AStreamThatBreaksOff_EndsWithoutCompleted()
    {
        var (events, completed) = await ReadAllAsync("data: {\"a\":1}\n\ndata: {\"b\"", 5);

        Assert.Equal(["{\"a\":1}", "{\"b\""], events);
        Assert.False(completed);
    }

    [Theory]
    [InlineData("data: {\"a\":1}\n\ndata: [DONE]\n")]
    [InlineData("data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n")]
    public async Task AnUpstreamThatClosesRightAfterDone_WithoutTheBlankLine_StillCompletes(string sse)
    {
        var (events, completed) = await ReadAllAsync(sse, 3);

        Assert.Equal(["{\"a\":1}"], events);
        Assert.True(completed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(4096)]
    public async Task EachEventsRawBytes_AreExactlyAsTheUpstreamFramedThem_FieldsCommentsAndLineEndsIncluded(int chunk)
    {
        const string first = ": note\r\nevent: chunk\r\nid: 7\r\nretry: 1500\r\ndata: {\r\ndata: \"a\":1}\r\n\r\n";
        const string second = "data: {\"b\":2}\n\n";
        await using var stream = new SseEventStream(new TrickleStream(Encoding.UTF8.GetBytes(": ping\n\n" + first + second + "data: [DONE]\n\n"), chunk));

        Assert.True(await stream.MoveNextAsync(CancellationToken.None));
        Assert.Equal(first, Encoding.UTF8.GetString(stream.RawEvent.Span));
        Assert.Equal("{\n\"a\":1}", Encoding.UTF8.GetString(stream.Current.Span));
        Assert.True(await stream.MoveNextAsync(CancellationToken.None));
        Assert.Equal(second, Encoding.UTF8.GetString(stream.RawEvent.Span));
        Assert.False(await stream.MoveNextAsync(CancellationToken.None));
        Assert.True(stream.Completed);
    }

    [Fact]
    public async Task LargeEvents_GrowTheBuffer_UpToTheLimit()
    {
        var big = new string('x', 100_000);
        var (events, _) = await ReadAllAsync($"data: {big}\n\ndata: [DONE]\n\n", 8192);
        Assert.Equal(big, Assert.Single(events));

        var tooBig = new string('y', SseEventStream.MaxEventSize + 10);
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync($"data: {tooBig}\n\n", 1 << 20));
        // However it is split into lines: the limit is on the event, not on a line.
        var manyLines = string.Concat(Enumerable.Repeat("data: " + new string('z', 1000) + "\n", SseEventStream.MaxEventSize / 1000 + 10));
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(manyLines + "\n", 1 << 16));
    }
}
