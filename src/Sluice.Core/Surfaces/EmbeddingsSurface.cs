using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Providers;
using Sluice.Proxy;
using Sluice.Routing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Surfaces;

/// <summary>
/// <c>POST /v1/embeddings</c>, OpenAI's shape: <c>input</c> as a string, strings, a token array or token arrays;
/// <c>encoding_format</c> <c>float</c> or <c>base64</c>; <c>dimensions</c>. Served by routes whose upstream has an
/// embeddings API (OpenAI, Azure OpenAI, OpenAI-compatible, and the built-in <c>mock</c>, which makes deterministic
/// vectors), the body passed through with only <c>model</c> rewritten; a route without one (Anthropic) refuses it
/// with a 400 before any call. The row counts the input tokens the upstream reports.
/// </summary>
public sealed class EmbeddingsSurface : Surface
{
    public const string Name = "embeddings";

    /// <summary>Most inputs in one request, OpenAI's limit.</summary>
    public const int MaxInputs = 2048;

    public override string Endpoint => Name;

    public override bool TryCreateRequest(BufferedBody body, HttpRequest http, [NotNullWhen(true)] out SurfaceRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (!RequestJson.Parse(body).TryGet(out var document, out error))
        {
            body.Dispose();
            return false;
        }
        error = Validate(document.RootElement, out var model, out var store);
        if (error is not null)
        {
            document.Dispose();
            body.Dispose();
            return false;
        }
        request = new EmbeddingsRequest(body, document) { Model = model!, Store = store };
        return true;
    }

    private static ApiError? Validate(JsonElement root, out string? model, out bool? store)
    {
        model = null; store = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest("The request body must be a JSON object.");
        }
        if (ChatRequest.ValidateModel(root, out model) is { } modelError)
        {
            return modelError;
        }
        if (!root.TryGetProperty("input"u8, out var input))
        {
            return ApiError.InvalidRequest("Missing required parameter: 'input'.", "input");
        }
        if (!IsInput(input))
        {
            return ApiError.InvalidRequest(
                $"'input' must be a non-empty string, an array of 1 to {MaxInputs} non-empty strings, a non-empty array of token ids, or an array of such arrays.", "input");
        }
        if (root.TryGetProperty("encoding_format"u8, out var format) && format.ValueKind != JsonValueKind.Null
            && !(format.ValueEquals("float"u8) || format.ValueEquals("base64"u8)))
        {
            return ApiError.InvalidRequest("'encoding_format' must be 'float' or 'base64'.", "encoding_format");
        }
        if (root.TryGetProperty("dimensions"u8, out var dimensions) && dimensions.ValueKind != JsonValueKind.Null
            && (dimensions.ValueKind != JsonValueKind.Number || !dimensions.TryGetInt32(out var d) || d < 1))
        {
            return ApiError.InvalidRequest("'dimensions' must be a positive integer.", "dimensions");
        }
        if (root.TryGetProperty("user"u8, out var user) && user.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return ApiError.InvalidRequest("'user' must be a string.", "user");
        }
        if (root.TryGetProperty("store"u8, out var st) && st.ValueKind != JsonValueKind.Null)
        {
            if (st.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return ApiError.InvalidRequest("'store' must be a boolean.", "store");
            }
            store = st.ValueKind == JsonValueKind.True;
        }
        return null;
    }

    private static bool IsInput(JsonElement input)
    {
        if (input.ValueKind == JsonValueKind.String)
        {
            return !input.ValueEquals(""u8);
        }
        if (input.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        var count = input.GetArrayLength();
        if (count is 0 or > MaxInputs)
        {
            return false;
        }
        var first = input[0].ValueKind;
        foreach (var item in input.EnumerateArray())
        {
            var ok = first switch
            {
                JsonValueKind.String => item.ValueKind == JsonValueKind.String && !item.ValueEquals(""u8),
                JsonValueKind.Number => IsToken(item),
                JsonValueKind.Array => item.ValueKind == JsonValueKind.Array && item.GetArrayLength() > 0 && item.EnumerateArray().All(IsToken),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsToken(JsonElement item) => item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var id) && id >= 0;

    private sealed class EmbeddingsRequest(BufferedBody body, JsonDocument document) : SurfaceRequest
    {
        public override ReadOnlyMemory<byte> Body => body.Memory;

        public override JsonElement Root => document.RootElement;

        /// <summary>Text inputs counted by the tokenizer; token arrays are their length.</summary>
        public override int EstimatePromptTokens(TokenEstimator estimator) => CountInput(estimator, Root.GetProperty("input"u8));

        public override async Task<SurfaceAnswer> SendAsync(ModelRoute route, HttpRequest http, CancellationToken cancellationToken)
        {
            if (route.Provider is not INativeProvider native || !native.Serves(route, NativeOperation.Embeddings))
            {
                return SurfaceAnswer.Refused(ApiError.InvalidRequest(
                    $"The model '{ApiError.Echo(Model)}' is served by a route ({route.Provider.Name}) that has no embeddings API.", "model"));
            }
            using var passed = PassThrough.WriteBody(Root, body.Length, route.UpstreamModel);
            var response = await native.SendNativeAsync(NativeOperation.Embeddings, route, passed, null, cancellationToken);
            return await PassThrough.ReadAsync(response, stream: false, new EmbeddingsMeter(), cancellationToken);
        }

        public override void Dispose()
        {
            document.Dispose();
            body.Dispose();
        }
    }

    internal static int CountInput(TokenEstimator estimator, JsonElement input)
    {
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                return estimator.Count(input.GetString()!);
            case JsonValueKind.Number:
                return 1;
            case JsonValueKind.Array:
                var total = 0;
                foreach (var item in input.EnumerateArray())
                {
                    total += CountInput(estimator, item);
                }
                return total;
            default:
                return 0;
        }
    }

    /// <summary>An embeddings answer's <c>usage.prompt_tokens</c>; embeddings have no completion.</summary>
    private sealed class EmbeddingsMeter : IAnswerMeter
    {
        private readonly JsonUsageScanner _scanner = new(sampleByteLimit: 0);

        public AnswerEvent Inspect(ReadOnlySpan<byte> data) => AnswerEvent.Relay;

        public void Append(ReadOnlySpan<byte> json) => _scanner.Append(json);

        public TokenUsage? Usage => _scanner.Usage is { } u ? new TokenUsage(u.PromptTokens, 0) : null;

        public int EstimateCompletion(TokenEstimator estimator) => 0;

        public void Dispose() => _scanner.Dispose();
    }
}
