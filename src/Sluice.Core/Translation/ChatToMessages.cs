using System.Buffers;
using System.Text.Json;
using Sluice.Providers;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Translation;

/// <summary>
/// A Chat Completions answer as an Anthropic Messages answer, the reverse of <see cref="AnthropicProvider"/>'s
/// translation: the message's text as one text block, its tool calls as <c>tool_use</c> blocks (arguments parsed back
/// into objects), <c>finish_reason</c> as <c>stop_reason</c>, usage as Anthropic counts it (cache reads apart from
/// <c>input_tokens</c>).
/// </summary>
internal static class ChatToMessages
{
    /// <summary>A non-streamed hub answer larger than this is not a chat answer; the upstream is treated as broken.</summary>
    public const int MaxCompletionBytes = 8 * 1024 * 1024;

    /// <summary>Reads a whole hub answer (it must be whole to be rewritten), within <see cref="MaxCompletionBytes"/>.</summary>
    public static async Task<PooledBufferWriter> ReadWholeAsync(Stream body, CancellationToken cancellationToken)
    {
        var raw = new PooledBufferWriter(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(raw.GetMemory(16 * 1024), cancellationToken)) > 0)
            {
                raw.Advance(read);
                if (raw.WrittenCount > MaxCompletionBytes)
                {
                    throw new InvalidDataException("An upstream answer exceeded the gateway's size limit.");
                }
            }
            return raw;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>Anthropic's <c>stop_reason</c> for OpenAI's <c>finish_reason</c> (see <see cref="AnthropicProvider.FinishReason"/>).</summary>
    public static string StopReason(string? finishReason) => finishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    };

    /// <summary>Writes a <c>chat.completion</c> body as a Messages <c>message</c>.</summary>
    public static void WriteMessage(ReadOnlyMemory<byte> completion, string fallbackModel, IBufferWriter<byte> output)
    {
        using (var document = ParseObject(completion, "The upstream answer"))
        {
            var root = document.RootElement;
            var choice = root.TryGetProperty("choices"u8, out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                ? choices[0] : default;
            var message = choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message"u8, out var m) ? m : default;

            using var w = new Utf8JsonWriter(output, AnthropicProvider.WriterOptions);
            w.WriteStartObject();
            w.WriteString("id"u8, MessageId(AnthropicProvider.Text(root, "id"u8)));
            w.WriteString("type"u8, "message"u8);
            w.WriteString("role"u8, "assistant"u8);
            w.WriteString("model"u8, AnthropicProvider.Text(root, "model"u8) ?? fallbackModel);
            w.WriteStartArray("content"u8);
            if (message.ValueKind == JsonValueKind.Object)
            {
                if (message.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String && !content.ValueEquals(""u8))
                {
                    w.WriteStartObject();
                    w.WriteString("type"u8, "text"u8);
                    w.WritePropertyName("text"u8);
                    content.WriteTo(w);
                    w.WriteEndObject();
                }
                if (message.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var function = call.TryGetProperty("function"u8, out var f) ? f : default;
                        w.WriteStartObject();
                        w.WriteString("type"u8, "tool_use"u8);
                        w.WriteString("id"u8, AnthropicProvider.Text(call, "id"u8) ?? "");
                        w.WriteString("name"u8, AnthropicProvider.Text(function, "name"u8) ?? "");
                        w.WritePropertyName("input"u8);
                        WriteArguments(w, AnthropicProvider.Text(function, "arguments"u8));
                        w.WriteEndObject();
                    }
                }
            }
            w.WriteEndArray();
            w.WriteString("stop_reason"u8, StopReason(AnthropicProvider.Text(choice, "finish_reason"u8)));
            w.WriteNull("stop_sequence"u8);
            var usage = root.TryGetProperty("usage"u8, out var u) && u.ValueKind == JsonValueKind.Object ? ReadUsage(u) : default;
            WriteUsage(w, usage);
            w.WriteEndObject();
        }
    }

    /// <summary>Parses a hub answer or chunk that must be a JSON object; anything else means the upstream is broken.</summary>
    public static JsonDocument ParseObject(ReadOnlyMemory<byte> json, string what)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON.", e);
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new InvalidDataException($"{what} is not a JSON object.");
        }
        return document;
    }

    /// <summary>Tool arguments are a string of JSON in Chat Completions; Messages wants the object. Arguments that are
    /// not a JSON object (a model's malformed output) become an empty object.</summary>
    private static void WriteArguments(Utf8JsonWriter w, string? arguments)
    {
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                using var input = JsonDocument.Parse(arguments);
                if (input.RootElement.ValueKind == JsonValueKind.Object)
                {
                    input.RootElement.WriteTo(w);
                    return;
                }
            }
            catch (JsonException)
            {
            }
        }
        w.WriteStartObject();
        w.WriteEndObject();
    }

    /// <summary>Anthropic SDKs expect message ids that start with <c>msg_</c>; a hub id is kept after that prefix.</summary>
    public static string MessageId(string? hubId) => hubId is null ? "msg_sluice" : hubId.StartsWith("msg_", StringComparison.Ordinal) ? hubId : "msg_" + hubId;

    private static TokenUsage ReadUsage(JsonElement usage)
    {
        var reader = new Utf8JsonReader(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(usage));
        reader.Read();
        return ChunkInspector.ReadUsage(ref reader) ?? default;
    }

    /// <summary>Writes a hub usage as Messages' <c>usage</c>: cache reads are counted apart from <c>input_tokens</c>.</summary>
    public static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, Math.Max(0, usage.PromptTokens - usage.CachedTokens));
        w.WriteNumber("cache_creation_input_tokens"u8, 0);
        w.WriteNumber("cache_read_input_tokens"u8, usage.CachedTokens);
        w.WriteNumber("output_tokens"u8, usage.CompletionTokens);
        w.WriteEndObject();
    }
}
