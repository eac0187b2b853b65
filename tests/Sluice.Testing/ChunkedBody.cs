using System.Net.Http.Headers;

namespace Sluice.Testing;

/// <summary>A request body HttpClient sends with <c>Transfer-Encoding: chunked</c>: it cannot know the length.</summary>
public static class ChunkedBody
{
    public static HttpContent Of(byte[] bytes, string? contentType = "application/json")
    {
        var content = new StreamContent(new UnseekableStream(bytes));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return content;
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
