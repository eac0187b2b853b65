using Sluice.Wire;
using System.Buffers;
using System.Text.Json;

namespace Sluice.Translation;

/// <summary>
/// A whole <c>chat.completion</c> as a Responses <c>response</c>: the assistant's text (or refusal) → one
/// <c>message</c> output item, each tool call → a <c>function_call</c> item; <c>finish_reason</c> <c>length</c> or
/// <c>content_filter</c> → status <c>incomplete</c> with its reason; usage with cached and reasoning tokens.
/// </summary>
public static class ChatToResponses
{
    /// <summary>Translates <paramref name="completion"/>; throws <see cref="InvalidDataException"/> when it is not a
    /// chat completion (the upstream is then treated as broken).</summary>
    public static void Write(ReadOnlySpan<byte> completion, JsonElement request, ResponseIdentity identity, IBufferWriter<byte> output)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(completion);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("The upstream completion is not valid JSON.", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices"u8, out var choices)
                || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                throw new InvalidDataException("The upstream completion has no choices.");
            }
            var choice = choices[0];
            var message = choice.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
            var finish = choice.TryGetProperty("finish_reason"u8, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            var usage = root.TryGetProperty("usage"u8, out var u) && u.ValueKind == JsonValueKind.Object ? ResponsesUsage.FromChat(u) : (ResponsesUsage?)null;
            var model = root.TryGetProperty("model"u8, out var md) && md.ValueKind == JsonValueKind.String ? md.GetString()! : "";
            var incomplete = IncompleteReason(finish);

            using var w = new Utf8JsonWriter(output, ResponseObject.WriterOptions);
            ResponseObject.Write(w, request, identity, model, incomplete is null ? "completed" : "incomplete", w =>
            {
                var index = 0;
                if (message.ValueKind == JsonValueKind.Object)
                {
                    var hasText = message.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String && !content.ValueEquals(""u8);
                    var hasRefusal = message.TryGetProperty("refusal"u8, out var refusal) && refusal.ValueKind == JsonValueKind.String;
                    if (hasText || hasRefusal)
                    {
                        WriteMessageStart(w, identity.ItemId("msg", index++), "completed");
                        if (hasText)
                        {
                            WriteTextPart(w, content);
                        }
                        if (hasRefusal)
                        {
                            w.WriteStartObject();
                            w.WriteString("type"u8, "refusal"u8);
                            w.WritePropertyName("refusal"u8);
                            refusal.WriteTo(w);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    if (message.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var call in calls.EnumerateArray())
                        {
                            var function = call.TryGetProperty("function"u8, out var fn) ? fn : default;
                            w.WriteStartObject();
                            w.WriteString("id"u8, identity.ItemId("fc", index++));
                            w.WriteString("type"u8, "function_call"u8);
                            w.WriteString("status"u8, "completed"u8);
                            Copy(w, function, "arguments"u8, "{}");
                            Copy(w, call, "id"u8, "", "call_id"u8);
                            Copy(w, function, "name"u8, "");
                            w.WriteEndObject();
                        }
                    }
                }
            }, usage, incomplete);
            w.Flush();
        }
    }

    /// <summary>Opens a message item up to its <c>content</c> array.</summary>
    internal static void WriteMessageStart(Utf8JsonWriter w, string id, string status)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, id);
        w.WriteString("type"u8, "message"u8);
        w.WriteString("status"u8, status);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteStartArray("content"u8);
    }

    internal static void WriteTextPart(Utf8JsonWriter w, JsonElement text)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, "output_text"u8);
        w.WriteStartArray("annotations"u8);
        w.WriteEndArray();
        w.WriteStartArray("logprobs"u8);
        w.WriteEndArray();
        w.WritePropertyName("text"u8);
        text.WriteTo(w);
        w.WriteEndObject();
    }

    /// <summary>Chat's <c>finish_reason</c> as the reason of an incomplete response; null when it completed.</summary>
    internal static string? IncompleteReason(string? finishReason) => finishReason switch
    {
        "length" => "max_output_tokens",
        "content_filter" => "content_filter",
        _ => null,
    };

    private static void Copy(Utf8JsonWriter w, JsonElement source, ReadOnlySpan<byte> name, string fallback, ReadOnlySpan<byte> asName = default)
    {
        w.WritePropertyName(asName.IsEmpty ? name : asName);
        if (source.ValueKind == JsonValueKind.Object && source.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            value.WriteTo(w);
        }
        else
        {
            w.WriteStringValue(fallback);
        }
    }
}
