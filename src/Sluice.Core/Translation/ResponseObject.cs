using Sluice.Wire;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Translation;

/// <summary>The identity of one response: its id (<c>resp_</c> and the hex of Sluice's request id, so
/// <c>GET /v1/responses/{id}</c> finds the stored request), when it was made, and what the client asked.</summary>
public sealed record ResponseIdentity(string Id, long CreatedAt, bool Stored)
{
    public const string Prefix = "resp_";

    /// <summary>The response id of a Sluice request id (<c>req_{hex}</c> → <c>resp_{hex}</c>).</summary>
    public static string IdFor(string requestId) => Prefix + requestId[(requestId.IndexOf('_') + 1)..];

    /// <summary>The Sluice request id of a response id, or null when it is not one Sluice made.</summary>
    public static string? RequestIdOf(string responseId) =>
        responseId.StartsWith(Prefix, StringComparison.Ordinal) ? "req_" + responseId[Prefix.Length..] : null;

    /// <summary>An output item's id: <paramref name="kind"/> (<c>msg</c>, <c>fc</c>), the response's hex, its index.</summary>
    public string ItemId(string kind, int index) => $"{kind}_{Id[Prefix.Length..]}{index:x2}";
}

/// <summary>Token counts in the Responses shape, read from a Chat Completions <c>usage</c> object.</summary>
public readonly record struct ResponsesUsage(int InputTokens, int CachedTokens, int OutputTokens, int ReasoningTokens)
{
    public static ResponsesUsage FromChat(JsonElement usage) => new(
        Count(usage, "prompt_tokens"u8),
        usage.TryGetProperty("prompt_tokens_details"u8, out var input) ? Count(input, "cached_tokens"u8) : 0,
        Count(usage, "completion_tokens"u8),
        usage.TryGetProperty("completion_tokens_details"u8, out var output) ? Count(output, "reasoning_tokens"u8) : 0);

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, InputTokens);
        w.WriteStartObject("input_tokens_details"u8);
        w.WriteNumber("cached_tokens"u8, CachedTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens"u8, OutputTokens);
        w.WriteStartObject("output_tokens_details"u8);
        w.WriteNumber("reasoning_tokens"u8, ReasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens"u8, InputTokens + OutputTokens);
        w.WriteEndObject();
    }

    private static int Count(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;
}

/// <summary>
/// Writes the <c>response</c> object of the Responses wire format around a translated answer: its status, output and
/// usage, and the request's settings echoed back as the API does (instructions, tools, tool_choice, text, reasoning,
/// sampling, metadata, …; the API's defaults where the request set none).
/// </summary>
internal static class ResponseObject
{
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the response object; <paramref name="output"/> writes the output items (the array's elements),
    /// <paramref name="incompleteReason"/> is <c>max_output_tokens</c> or <c>content_filter</c> for an incomplete
    /// response, <paramref name="error"/> the code and message of a failed one.</summary>
    public static void Write(Utf8JsonWriter w, JsonElement request, ResponseIdentity identity, string model, string status,
        Action<Utf8JsonWriter> output, ResponsesUsage? usage, string? incompleteReason = null, (string Code, string Message)? error = null)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, identity.Id);
        w.WriteString("object"u8, "response"u8);
        w.WriteNumber("created_at"u8, identity.CreatedAt);
        w.WriteString("status"u8, status);
        w.WriteBoolean("background"u8, false);
        if (error is { } e)
        {
            w.WriteStartObject("error"u8);
            w.WriteString("code"u8, e.Code);
            w.WriteString("message"u8, e.Message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("error"u8);
        }
        if (incompleteReason is not null)
        {
            w.WriteStartObject("incomplete_details"u8);
            w.WriteString("reason"u8, incompleteReason);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details"u8);
        }
        Echo(w, request, "instructions"u8, null);
        Echo(w, request, "max_output_tokens"u8, null);
        w.WriteNull("max_tool_calls"u8);
        w.WriteString("model"u8, model);
        w.WriteStartArray("output"u8);
        output(w);
        w.WriteEndArray();
        Echo(w, request, "parallel_tool_calls"u8, static w => w.WriteBooleanValue(true));
        Echo(w, request, "previous_response_id"u8, null);
        Echo(w, request, "prompt_cache_key"u8, null);
        if (request.TryGetProperty("reasoning"u8, out var reasoning) && reasoning.ValueKind == JsonValueKind.Object)
        {
            w.WriteStartObject("reasoning"u8);
            Echo(w, reasoning, "effort"u8, null);
            Echo(w, reasoning, "summary"u8, null);
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject("reasoning"u8);
            w.WriteNull("effort"u8);
            w.WriteNull("summary"u8);
            w.WriteEndObject();
        }
        Echo(w, request, "safety_identifier"u8, null);
        Echo(w, request, "service_tier"u8, static w => w.WriteStringValue("default"u8));
        // Whether Sluice keeps this response (GET /v1/responses/{id}, previous_response_id); the provider never does.
        w.WriteBoolean("store"u8, identity.Stored);
        Echo(w, request, "temperature"u8, static w => w.WriteNumberValue(1.0));
        if (request.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.Object && text.TryGetProperty("format"u8, out _))
        {
            w.WritePropertyName("text"u8);
            text.WriteTo(w);
        }
        else
        {
            w.WriteStartObject("text"u8);
            w.WriteStartObject("format"u8);
            w.WriteString("type"u8, "text"u8);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        Echo(w, request, "tool_choice"u8, static w => w.WriteStringValue("auto"u8));
        Echo(w, request, "tools"u8, static w => { w.WriteStartArray(); w.WriteEndArray(); });
        w.WriteNumber("top_logprobs"u8, 0);
        Echo(w, request, "top_p"u8, static w => w.WriteNumberValue(1.0));
        Echo(w, request, "truncation"u8, static w => w.WriteStringValue("disabled"u8));
        if (usage is { } u)
        {
            u.WriteTo(w);
        }
        else
        {
            w.WriteNull("usage"u8);
        }
        Echo(w, request, "user"u8, null);
        Echo(w, request, "metadata"u8, static w => { w.WriteStartObject(); w.WriteEndObject(); });
        w.WriteEndObject();
    }

    /// <summary>The request's value of <paramref name="name"/>, or the default (null when <paramref name="fallback"/> is).</summary>
    private static void Echo(Utf8JsonWriter w, JsonElement source, ReadOnlySpan<byte> name, Action<Utf8JsonWriter>? fallback)
    {
        w.WritePropertyName(name);
        if (source.ValueKind == JsonValueKind.Object && source.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            value.WriteTo(w);
        }
        else if (fallback is not null)
        {
            fallback(w);
        }
        else
        {
            w.WriteNullValue();
        }
    }
}
