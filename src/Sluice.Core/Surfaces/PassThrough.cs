using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// The pass-through path of a surface whose shape the route's upstream speaks natively: the client's body with only
/// <c>model</c> rewritten and Sluice's own fields removed, and the upstream's answer relayed as it was framed.
/// </summary>
public static class PassThrough
{
    /// <summary>Fields that are Sluice's and never reach an upstream: <c>store</c>, the request's content switch (an
    /// upstream that stores would break the account's retention promise).</summary>
    private static ReadOnlySpan<byte> Store => "store"u8;

    /// <summary>The client's body for the upstream: every field as sent but <c>model</c> (set to the route's) and
    /// Sluice's own fields.</summary>
    public static PooledBufferWriter WriteBody(JsonElement root, int sizeHint, string upstreamModel)
    {
        var output = new PooledBufferWriter(sizeHint + 128);
        using var writer = new Utf8JsonWriter(output, AnthropicProvider.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("model"u8, upstreamModel);
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals("model"u8) || property.NameEquals(Store))
            {
                continue;
            }
            property.WriteTo(writer);
        }
        writer.WriteEndObject();
        writer.Flush();
        return output;
    }

    /// <summary>The client's <c>anthropic-beta</c> header, forwarded on a pass-through to Anthropic so beta features
    /// keep working; null when the client sent none.</summary>
    public static Action<System.Net.Http.Headers.HttpRequestHeaders>? AnthropicBeta(Microsoft.AspNetCore.Http.HttpRequest http)
    {
        var beta = http.Headers["anthropic-beta"];
        return beta.Count > 0 ? headers => headers.TryAddWithoutValidation("anthropic-beta", (IEnumerable<string?>)beta) : null;
    }

    /// <summary>Wraps a native upstream response: its error (re-read into OpenAI's error shape, which the surface
    /// re-shapes), its event stream (events copied as framed), or its JSON body.</summary>
    public static async Task<SurfaceAnswer> ReadAsync(HttpResponseMessage response, bool stream, IAnswerMeter meter, CancellationToken cancellationToken)
    {
        try
        {
            var upstream = await UpstreamHttp.ReadOpenAIResponseAsync(response, stream, cancellationToken);
            return new SurfaceAnswer(upstream, meter, default);
        }
        catch
        {
            meter.Dispose();
            response.Dispose();
            throw;
        }
    }

    /// <summary>A local answer (a JSON body made by the gateway), e.g. a token count from the estimator.</summary>
    public static SurfaceAnswer LocalJson(byte[] json, IAnswerMeter meter) =>
        new(UpstreamResponse.ForJson(new MemoryStream(json, writable: false), json.Length), meter, default);

    /// <summary>A JSON body written into a pooled buffer, released with the answer.</summary>
    public static SurfaceAnswer PooledJson(PooledBufferWriter json, IAnswerMeter meter)
    {
        MemoryMarshal.TryGetArray(json.WrittenMemory, out var segment);
        return new(UpstreamResponse.ForJson(new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false), segment.Count, json), meter, default);
    }
}
