using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Translation;

/// <summary>
/// A validated OpenAI Responses request (<c>POST /v1/responses</c>). Like <see cref="ChatRequest"/> it keeps the raw
/// body and its parsed document, so the pass-through and the translation both work from one parse. Only what the
/// gateway itself needs is checked here (types of the fields it reads, and the features no route may use because
/// they keep state at the provider); what a chat-only route cannot express is refused by
/// <see cref="ResponsesToChat"/>. Messages name the field and the rule, never a value.
/// </summary>
public sealed class ResponsesRequest : IDisposable
{
    private readonly BufferedBody _body;
    private readonly JsonDocument _document;

    private ResponsesRequest(BufferedBody body, JsonDocument document)
    {
        _body = body;
        _document = document;
    }

    /// <summary>The body exactly as the client sent it.</summary>
    public ReadOnlyMemory<byte> Body => _body.Memory;

    public JsonElement Root => _document.RootElement;

    public string Model { get; private init; } = "";

    public bool Stream { get; private init; }

    /// <summary>The client's <c>store</c>: <c>false</c> tightens Sluice's content storage for this request. Never
    /// forwarded: every upstream Responses call is sent with <c>store: false</c>.</summary>
    public bool? Store { get; private init; }

    /// <summary>A previous response of this account whose context this request continues; served from Sluice's own
    /// content store, never from the provider's.</summary>
    public string? PreviousResponseId { get; private init; }

    /// <summary><c>max_output_tokens</c>.</summary>
    public int? MaxOutputTokens { get; private init; }

    /// <summary>Parses and validates <paramref name="body"/>, taking ownership of it (disposed with the request, or at
    /// once on failure).</summary>
    public static bool TryParse(BufferedBody body, [NotNullWhen(true)] out ResponsesRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (!RequestJson.Parse(body).TryGet(out var document, out error))
        {
            body.Dispose();
            return false;
        }
        var root = document.RootElement;
        error = Validate(root, out var model, out var stream, out var store, out var previous, out var maxOutput);
        if (error is not null)
        {
            document.Dispose();
            body.Dispose();
            return false;
        }
        request = new ResponsesRequest(body, document)
        {
            Model = model!,
            Stream = stream,
            Store = store,
            PreviousResponseId = previous,
            MaxOutputTokens = maxOutput,
        };
        return true;
    }

    private static ApiError? Validate(JsonElement root, out string? model, out bool stream, out bool? store, out string? previous, out int? maxOutput)
    {
        model = null; stream = false; store = null; previous = null; maxOutput = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest("The request body must be a JSON object.");
        }
        if (ChatRequest.ValidateModel(root, out model) is { } modelError)
        {
            return modelError;
        }

        if (root.TryGetProperty("previous_response_id"u8, out var p) && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.String || p.GetString() is not { Length: > 0 } id)
            {
                return ApiError.InvalidRequest("'previous_response_id' must be a response id.", "previous_response_id");
            }
            previous = id;
        }
        var hasInput = root.TryGetProperty("input"u8, out var input) && input.ValueKind != JsonValueKind.Null;
        if (!hasInput && previous is null)
        {
            return ApiError.InvalidRequest("Missing required parameter: 'input'.", "input");
        }
        if (hasInput && input.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return ApiError.InvalidRequest("'input' must be a string or an array of input items.", "input");
        }
        if (input.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    var path = string.Create(CultureInfo.InvariantCulture, $"input[{i}]");
                    return ApiError.InvalidRequest($"'{path}' must be an object.", path);
                }
                i++;
            }
        }

        if (Boolean(root, "stream", out stream) is { } streamError)
        {
            return streamError;
        }
        if (root.TryGetProperty("store"u8, out var st) && st.ValueKind != JsonValueKind.Null)
        {
            if (st.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return ApiError.InvalidRequest("'store' must be a boolean.", "store");
            }
            store = st.ValueKind == JsonValueKind.True;
        }
        if (root.TryGetProperty("max_output_tokens"u8, out var mo) && mo.ValueKind != JsonValueKind.Null)
        {
            if (mo.ValueKind != JsonValueKind.Number || !mo.TryGetInt32(out var n) || n < 1)
            {
                return ApiError.InvalidRequest("'max_output_tokens' must be a positive integer.", "max_output_tokens");
            }
            maxOutput = n;
        }
        foreach (var field in (ReadOnlySpan<string>)["temperature", "top_p"])
        {
            if (root.TryGetProperty(field, out var v) && v.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest($"'{field}' must be a number.", field);
            }
        }
        foreach (var field in (ReadOnlySpan<string>)["tools", "include"])
        {
            if (root.TryGetProperty(field, out var v) && v.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest($"'{field}' must be an array.", field);
            }
        }
        if (root.TryGetProperty("instructions"u8, out var ins) && ins.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return ApiError.InvalidRequest("'instructions' must be a string.", "instructions");
        }
        if (root.TryGetProperty("metadata"u8, out var md) && md.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            return ApiError.InvalidRequest("'metadata' must be an object of string values.", "metadata");
        }

        // State kept at the provider, which a gateway that sends store:false upstream cannot offer on any route.
        if (root.TryGetProperty("background"u8, out var bg) && bg.ValueKind == JsonValueKind.True)
        {
            return Unsupported("background",
                "Background responses are kept by the provider until polled; Sluice sends every Responses call with store:false, so it does not offer them. Stream the response instead.");
        }
        if (root.TryGetProperty("conversation"u8, out var conversation) && conversation.ValueKind != JsonValueKind.Null)
        {
            return Unsupported("conversation",
                "Conversations are kept by the provider; Sluice keeps no content at providers. Send the full input each turn, or 'previous_response_id' where your account retains content.");
        }
        return null;
    }

    private static ApiError? Boolean(JsonElement root, string field, out bool value)
    {
        value = false;
        if (root.TryGetProperty(field, out var v))
        {
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest($"'{field}' must be a boolean.", field);
            }
            value = v.ValueKind == JsonValueKind.True;
        }
        return null;
    }

    /// <summary>A feature Sluice refuses before any upstream call, with the reason and what to do instead.</summary>
    internal static ApiError Unsupported(string param, string message) =>
        new(400, "invalid_request_error", "unsupported_parameter", message, param);

    public void Dispose()
    {
        _document.Dispose();
        _body.Dispose();
    }
}
