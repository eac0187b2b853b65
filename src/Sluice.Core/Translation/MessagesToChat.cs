using System.Buffers;
using System.Text.Json;
using Sluice.Providers;
using Sluice.Wire;

namespace Sluice.Translation;

/// <summary>
/// Rewrites a validated Anthropic Messages request as a Chat Completions request (the hub every provider speaks),
/// the reverse of <see cref="AnthropicRequestBody"/>: <c>system</c> becomes a system message; user turns their text and
/// image parts, with each <c>tool_result</c> block a <c>tool</c> message placed first (Chat Completions wants tool answers
/// right after the call); assistant turns their text and <c>tool_use</c> blocks as <c>tool_calls</c>; <c>tools</c>,
/// <c>tool_choice</c>, <c>stop_sequences</c>, <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>metadata.user_id</c>
/// field by field. <c>cache_control</c> marks are hints about the provider's prompt cache and change no answer, so they
/// are not sent; everything else Chat Completions cannot express is refused (docs/api-surfaces.md lists each).
/// </summary>
/// <remarks>Refusals name the field and the rule, never a value: values are the caller's prompt.</remarks>
internal static class MessagesToChat
{
    /// <summary>Top-level Messages fields with no Chat Completions counterpart: a request that sets one is refused.</summary>
    private static readonly string[] s_unsupported = ["top_k", "thinking", "container", "mcp_servers", "service_tier", "context_management"];

    public static ApiError? Write(JsonElement root, string model, bool stream, IBufferWriter<byte> output)
    {
        foreach (var field in s_unsupported)
        {
            if (root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null
                && !(field == "thinking" && IsDisabledThinking(value)))
            {
                return Unsupported($"'{field}'", field);
            }
        }
        using var w = new Utf8JsonWriter(output, AnthropicProvider.WriterOptions);
        w.WriteStartObject();
        w.WriteString("model"u8, model);
        w.WriteStartArray("messages"u8);
        if ((WriteSystem(w, root) ?? WriteMessages(w, root.GetProperty("messages"u8))) is { } error)
        {
            return error;
        }
        w.WriteEndArray();
        if (WriteTools(w, root) is { } toolError)
        {
            return toolError;
        }
        // max_tokens rather than max_completion_tokens: every OpenAI-compatible server reads it. (A token count's
        // request has none.)
        if (root.TryGetProperty("max_tokens"u8, out var maxTokens))
        {
            w.WritePropertyName("max_tokens"u8);
            maxTokens.WriteTo(w);
        }
        if (root.TryGetProperty("stop_sequences"u8, out var stop) && stop.ValueKind == JsonValueKind.Array && stop.GetArrayLength() > 0)
        {
            w.WritePropertyName("stop"u8);
            stop.WriteTo(w);
        }
        foreach (var field in (ReadOnlySpan<string>)["temperature", "top_p"])
        {
            if (root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number)
            {
                w.WritePropertyName(field);
                value.WriteTo(w);
            }
        }
        if (root.TryGetProperty("metadata"u8, out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("user_id"u8, out var user) && user.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("user"u8);
            user.WriteTo(w);
        }
        if (stream)
        {
            w.WriteBoolean("stream"u8, true);
        }
        w.WriteEndObject();
        w.Flush();
        return null;
    }

    private static bool IsDisabledThinking(JsonElement thinking) =>
        thinking.ValueKind == JsonValueKind.Object && thinking.TryGetProperty("type"u8, out var t) && t.ValueEquals("disabled"u8);

    private static ApiError Unsupported(string what, string param) => ApiError.InvalidRequest(
        $"{what} cannot be expressed for this model's route, which is not an Anthropic one (see the gateway's list of translation limits).", param);

    private static ApiError? WriteSystem(Utf8JsonWriter w, JsonElement root)
    {
        if (!root.TryGetProperty("system"u8, out var system) || system.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (system.ValueKind == JsonValueKind.String)
        {
            if (!system.ValueEquals(""u8))
            {
                w.WriteStartObject();
                w.WriteString("role"u8, "system"u8);
                w.WritePropertyName("content"u8);
                system.WriteTo(w);
                w.WriteEndObject();
            }
            return null;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, "system"u8);
        w.WriteStartArray("content"u8);
        var i = -1;
        foreach (var block in system.EnumerateArray())
        {
            i++;
            if (!IsType(block, "text"u8))
            {
                return Unsupported($"'system[{i}]' of a type other than 'text'", $"system[{i}].type");
            }
            WriteTextPart(w, block.GetProperty("text"u8));
        }
        w.WriteEndArray();
        w.WriteEndObject();
        return null;
    }

    private static ApiError? WriteMessages(Utf8JsonWriter w, JsonElement messages)
    {
        var i = -1;
        foreach (var message in messages.EnumerateArray())
        {
            i++;
            var content = message.GetProperty("content"u8);
            var error = message.GetProperty("role"u8).ValueEquals("assistant"u8)
                ? WriteAssistant(w, content, i)
                : WriteUser(w, content, i);
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }

    /// <summary>A user turn: its tool results first, each a <c>tool</c> message, then one user message with the rest.</summary>
    private static ApiError? WriteUser(Utf8JsonWriter w, JsonElement content, int i)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "user"u8);
            w.WritePropertyName("content"u8);
            content.WriteTo(w);
            w.WriteEndObject();
            return null;
        }
        var j = -1;
        var others = 0;
        foreach (var block in content.EnumerateArray())
        {
            j++;
            if (!IsType(block, "tool_result"u8))
            {
                others++;
                continue;
            }
            if (block.TryGetProperty("is_error"u8, out var isError) && isError.ValueKind == JsonValueKind.True)
            {
                // Chat Completions has no error flag on a tool message; the model would read a failure as a result.
                return Unsupported($"'messages[{i}].content[{j}].is_error'", $"messages[{i}].content[{j}].is_error");
            }
            w.WriteStartObject();
            w.WriteString("role"u8, "tool"u8);
            w.WritePropertyName("tool_call_id"u8);
            block.GetProperty("tool_use_id"u8).WriteTo(w);
            w.WritePropertyName("content"u8);
            if (!block.TryGetProperty("content"u8, out var result) || result.ValueKind == JsonValueKind.Null)
            {
                w.WriteStringValue(""u8);
            }
            else if (result.ValueKind == JsonValueKind.String)
            {
                result.WriteTo(w);
            }
            else
            {
                w.WriteStartArray();
                var k = -1;
                foreach (var part in result.EnumerateArray())
                {
                    k++;
                    if (!IsType(part, "text"u8))
                    {
                        return Unsupported($"'messages[{i}].content[{j}].content[{k}]' of a type other than 'text'", $"messages[{i}].content[{j}].content[{k}].type");
                    }
                    WriteTextPart(w, part.GetProperty("text"u8));
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        if (others == 0)
        {
            return null;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, "user"u8);
        w.WriteStartArray("content"u8);
        j = -1;
        foreach (var block in content.EnumerateArray())
        {
            j++;
            if (IsType(block, "tool_result"u8))
            {
                continue;
            }
            if (IsType(block, "text"u8))
            {
                WriteTextPart(w, block.GetProperty("text"u8));
            }
            else if (!IsType(block, "image"u8) || !WriteImage(w, block))
            {
                // Documents, search results, container uploads, and image sources other than base64 and url.
                return Unsupported($"'messages[{i}].content[{j}]' of this type", $"messages[{i}].content[{j}].type");
            }
        }
        w.WriteEndArray();
        w.WriteEndObject();
        return null;
    }

    /// <summary>A base64 image becomes a data URL, a url image the URL itself; other sources are refused.</summary>
    private static bool WriteImage(Utf8JsonWriter w, JsonElement block)
    {
        if (!block.TryGetProperty("source"u8, out var source) || source.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        string url;
        if (IsType(source, "base64"u8) && AnthropicProvider.Text(source, "media_type"u8) is { } mediaType && AnthropicProvider.Text(source, "data"u8) is { } data)
        {
            url = $"data:{mediaType};base64,{data}";
        }
        else if (IsType(source, "url"u8) && AnthropicProvider.Text(source, "url"u8) is { } address)
        {
            url = address;
        }
        else
        {
            return false;
        }
        w.WriteStartObject();
        w.WriteString("type"u8, "image_url"u8);
        w.WriteStartObject("image_url"u8);
        w.WriteString("url"u8, url);
        w.WriteEndObject();
        w.WriteEndObject();
        return true;
    }

    /// <summary>An assistant turn: its text as content, its <c>tool_use</c> blocks as <c>tool_calls</c>.</summary>
    private static ApiError? WriteAssistant(Utf8JsonWriter w, JsonElement content, int i)
    {
        w.WriteStartObject();
        w.WriteString("role"u8, "assistant"u8);
        if (content.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("content"u8);
            content.WriteTo(w);
            w.WriteEndObject();
            return null;
        }
        var texts = 0;
        var calls = 0;
        var j = -1;
        foreach (var block in content.EnumerateArray())
        {
            j++;
            if (IsType(block, "text"u8))
            {
                texts++;
            }
            else if (IsType(block, "tool_use"u8))
            {
                calls++;
            }
            else
            {
                // thinking and redacted_thinking blocks are signed by Anthropic and mean nothing to another provider.
                return Unsupported($"'messages[{i}].content[{j}]' of this type", $"messages[{i}].content[{j}].type");
            }
        }
        w.WritePropertyName("content"u8);
        if (texts == 0)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStartArray();
            foreach (var block in content.EnumerateArray())
            {
                if (IsType(block, "text"u8))
                {
                    WriteTextPart(w, block.GetProperty("text"u8));
                }
            }
            w.WriteEndArray();
        }
        if (calls > 0)
        {
            w.WriteStartArray("tool_calls"u8);
            foreach (var block in content.EnumerateArray())
            {
                if (!IsType(block, "tool_use"u8))
                {
                    continue;
                }
                w.WriteStartObject();
                w.WritePropertyName("id"u8);
                block.GetProperty("id"u8).WriteTo(w);
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WritePropertyName("name"u8);
                block.GetProperty("name"u8).WriteTo(w);
                // Chat Completions carries arguments as a string of JSON; Messages as the object itself.
                w.WriteString("arguments"u8, block.TryGetProperty("input"u8, out var input) ? input.GetRawText() : "{}");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        return null;
    }

    private static ApiError? WriteTools(Utf8JsonWriter w, JsonElement root)
    {
        if (root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            w.WriteStartArray("tools"u8);
            var t = -1;
            foreach (var tool in tools.EnumerateArray())
            {
                t++;
                // Server tools (web search, code execution, bash, text editor, …) run at Anthropic; only client tools translate.
                if (tool.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String && !type.ValueEquals("custom"u8))
                {
                    return Unsupported($"'tools[{t}]' (a server tool)", $"tools[{t}].type");
                }
                w.WriteStartObject();
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WritePropertyName("name"u8);
                tool.GetProperty("name"u8).WriteTo(w);
                if (tool.TryGetProperty("description"u8, out var description) && description.ValueKind == JsonValueKind.String)
                {
                    w.WritePropertyName("description"u8);
                    description.WriteTo(w);
                }
                w.WritePropertyName("parameters"u8);
                tool.GetProperty("input_schema"u8).WriteTo(w);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (!root.TryGetProperty("tool_choice"u8, out var choice) || choice.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var kind = AnthropicProvider.Text(choice, "type"u8);
        w.WritePropertyName("tool_choice"u8);
        switch (kind)
        {
            case "auto":
                w.WriteStringValue("auto"u8);
                break;
            case "any":
                w.WriteStringValue("required"u8);
                break;
            case "none":
                w.WriteStringValue("none"u8);
                break;
            case "tool":
                w.WriteStartObject();
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WritePropertyName("name"u8);
                choice.GetProperty("name"u8).WriteTo(w);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            default:
                return ApiError.InvalidRequest("'tool_choice.type' must be 'auto', 'any', 'tool' or 'none'.", "tool_choice.type");
        }
        if (choice.TryGetProperty("disable_parallel_tool_use"u8, out var noParallel) && noParallel.ValueKind == JsonValueKind.True && kind != "none")
        {
            w.WriteBoolean("parallel_tool_calls"u8, false);
        }
        return null;
    }

    private static void WriteTextPart(Utf8JsonWriter w, JsonElement text)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, "text"u8);
        w.WritePropertyName("text"u8);
        text.WriteTo(w);
        w.WriteEndObject();
    }

    internal static bool IsType(JsonElement block, ReadOnlySpan<byte> type) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String && t.ValueEquals(type);
}
