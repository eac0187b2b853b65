using Sluice.Payloads;

namespace Sluice.Core.Tests.Payloads;

public sealed class PayloadCaptureTests
{
    [Fact]
    public void PastTheCap_KeepsExactlyTheCap_CountsEverything_AndIsMarkedTruncated()
    {
        using var capture = new PayloadCapture(maxBytes: 1000, contentDays: 7);
        var piece = new byte[300];
        for (var i = 0; i < 10; i++)
        {
            piece.AsSpan().Fill((byte)('a' + i));
            capture.Observe(piece);
        }

        Assert.Equal(1000, capture.Response.Length);
        Assert.Equal(3000, capture.ObservedBytes);
        Assert.True(capture.Truncated);
        Assert.Equal((byte)'d', capture.Response[^1]);
    }

    [Fact]
    public void UnderTheCap_KeepsEverything_AndIsNotTruncated()
    {
        using var capture = new PayloadCapture(maxBytes: 1000, contentDays: 7);
        capture.Observe("data: {}\n\n"u8);
        capture.Observe("data: [DONE]\n\n"u8);

        Assert.Equal("data: {}\n\ndata: [DONE]\n\n"u8.ToArray(), capture.Response.ToArray());
        Assert.False(capture.Truncated);
    }
}
