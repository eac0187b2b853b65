using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Rewrites a client's chat request for an OpenAI-format upstream, copying every field it does not own so new
/// OpenAI parameters pass through untouched.
/// </summary>
public static class OpenAIRequestBody
{
    /// <param name="request">The validated client request.</param>
    /// <param name="upstreamModel">The model to send, or null to drop <c>model</c> (Azure OpenAI names it in the URL).</param>
    /// <remarks>
    /// Streams always ask for <c>stream_options.include_usage</c>: the usage chunk is how the gateway meters a stream.
    /// <c>store</c> is Sluice's own content switch and is not forwarded: an upstream that stores completions would
    /// break the account's retention promise.
    /// </remarks>
    public static PooledBufferWriter Write(ChatRequest request, string? upstreamModel)
    {
        var output = new PooledBufferWriter(request.Body.Length + 128);
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        if (upstreamModel is not null)
        {
            writer.WriteString("model"u8, upstreamModel);
        }
        foreach (var property in request.Root.EnumerateObject())
        {
            if (property.NameEquals("model"u8) || property.NameEquals("store"u8) || property.NameEquals("stream_options"u8))
            {
                continue;
            }
            property.WriteTo(writer);
        }
        if (request.Stream)
        {
            writer.WriteStartObject("stream_options"u8);
            if (request.Root.TryGetProperty("stream_options"u8, out var options) && options.ValueKind == JsonValueKind.Object)
            {
                foreach (var option in options.EnumerateObject())
                {
                    if (!option.NameEquals("include_usage"u8))
                    {
                        option.WriteTo(writer);
                    }
                }
            }
            writer.WriteBoolean("include_usage"u8, true);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.Flush();
        return output;
    }
}
