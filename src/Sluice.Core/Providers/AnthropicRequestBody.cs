using System.Buffers;
using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// Rewrites a validated OpenAI chat request as an Anthropic Messages request: system and developer messages become
/// <c>system</c>; user, assistant and tool messages become alternating turns (consecutive turns of one role merged,
/// as the Messages API requires for tool results); content parts, tool calls, tools, <c>tool_choice</c>, <c>stop</c>,
/// <c>temperature</c>, <c>top_p</c> and the token limit are mapped field by field. OpenAI parameters with no Messages
/// counterpart (<c>seed</c>, <c>logprobs</c>, <c>response_format</c>, penalties, …) are not sent.
/// </summary>
/// <remarks>Refusals name the field and the rule, never a value: values are the caller's prompt.</remarks>
internal static class AnthropicRequestBody
{
    public static ApiError? Write(ChatRequest request, string upstreamModel, int defaultMaxTokens, IBufferWriter<byte> output)
    {
        var root = request.Root;
        if (root.TryGetProperty("n"u8, out var n) && n.ValueKind == JsonValueKind.Number && n.GetInt32() > 1)
        {
            return ApiError.InvalidRequest("Anthropic models return one choice per request; 'n' must be 1.", "n");
        }
        using var w = new Utf8JsonWriter(output, AnthropicProvider.WriterOptions);
        w.WriteStartObject();
        w.WriteString("model"u8, upstreamModel);
        // The Messages API requires max_tokens; OpenAI makes it optional.
        w.WriteNumber("max_tokens"u8, request.MaxTokens ?? defaultMaxTokens);
        if ((WriteSystem(w, request.Messages) ?? WriteMessages(w, request.Messages) ?? WriteTools(w, root)) is { } error)
        {
            return error;
        }
        if (root.TryGetProperty("stop"u8, out var stop) && stop.ValueKind != JsonValueKind.Null)
        {
            w.WriteStartArray("stop_sequences"u8);
            if (stop.ValueKind == JsonValueKind.String)
            {
                stop.WriteTo(w);
            }
            else
            {
                foreach (var s in stop.EnumerateArray())
                {
                    s.WriteTo(w);
                }
            }
            w.WriteEndArray();
        }
        foreach (var field in (ReadOnlySpan<string>)["temperature", "top_p"])
        {
            if (root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number)
            {
                w.WritePropertyName(field);
                value.WriteTo(w);
            }
        }
        if (root.TryGetProperty("user"u8, out var user) && user.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject("metadata"u8);
            w.WritePropertyName("user_id"u8);
            user.WriteTo(w);
            w.WriteEndObject();
        }
        if (request.Stream)
        {
            w.WriteBoolean("stream"u8, true);
        }
        w.WriteEndObject();
        w.Flush();
        return null;
    }

    private static ApiError? WriteSystem(Utf8JsonWriter w, JsonElement messages)
    {
        var open = false;
        var i = -1;
        foreach (var message in messages.EnumerateArray())
        {
            i++;
            var role = message.GetProperty("role"u8);
            if (!role.ValueEquals("system"u8) && !role.ValueEquals("developer"u8))
            {
                continue;
            }
            if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            foreach (var part in Texts(content, $"messages[{i}].content"))
            {
                if (!part.TryGet(out var text, out var error))
                {
                    return error;
                }
                if (!open)
                {
                    w.WriteStartArray("system"u8);
                    open = true;
                }
                WriteTextBlock(w, text);
            }
        }
        if (open)
        {
            w.WriteEndArray();
        }
        return null;
    }

    private static ApiError? WriteMessages(Utf8JsonWriter w, JsonElement messages)
    {
        var turns = new Turns(w);
        w.WriteStartArray("messages"u8);
        var i = -1;
        foreach (var message in messages.EnumerateArray())
        {
            i++;
            var path = $"messages[{i}]";
            var role = message.GetProperty("role"u8);
            message.TryGetProperty("content"u8, out var content);
            var error = role.ValueEquals("user"u8) ? WriteUserContent(turns, content, path + ".content")
                : role.ValueEquals("assistant"u8) ? WriteAssistant(turns, message, content, path)
                : role.ValueEquals("tool"u8) ? WriteToolResult(turns, message, content, path)
                : role.ValueEquals("function"u8) ? ApiError.InvalidRequest(
                    $"'{path}': legacy 'function' messages are not supported on Anthropic routes; use 'tool' messages.", path + ".role")
                : null;
            if (error is not null)
            {
                return error;
            }
        }
        turns.Close();
        w.WriteEndArray();
        return null;
    }

    private static ApiError? WriteUserContent(Turns turns, JsonElement content, string path)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            if (!content.ValueEquals(""u8))
            {
                WriteTextBlock(turns.Block("user"), content);
            }
            return null;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        var j = -1;
        foreach (var part in content.EnumerateArray())
        {
            j++;
            var type = part.GetProperty("type"u8);
            if (type.ValueEquals("text"u8))
            {
                if (!part.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
                {
                    return ApiError.InvalidRequest($"'{path}[{j}].text' must be a string.", $"{path}[{j}].text");
                }
                if (!text.ValueEquals(""u8))
                {
                    WriteTextBlock(turns.Block("user"), text);
                }
            }
            else if (type.ValueEquals("image_url"u8))
            {
                if (WriteImage(turns, part, $"{path}[{j}].image_url") is { } error)
                {
                    return error;
                }
            }
            else
            {
                return ApiError.InvalidRequest(
                    $"'{path}[{j}].type': Anthropic routes accept 'text' and 'image_url' content parts only.", $"{path}[{j}].type");
            }
        }
        return null;
    }

    /// <summary>A <c>data:</c> URL becomes a base64 source, an http(s) URL a url source (Anthropic fetches it).</summary>
    private static ApiError? WriteImage(Turns turns, JsonElement part, string path)
    {
        part.TryGetProperty("image_url"u8, out var image);
        if (image.ValueKind == JsonValueKind.Object)
        {
            image.TryGetProperty("url"u8, out image);
        }
        var url = image.ValueKind == JsonValueKind.String ? image.GetString()! : "";
        string? mediaType = null, data = null;
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var header = comma > 5 ? url.AsSpan(5, comma - 5) : default;
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                return ApiError.InvalidRequest($"'{path}.url' must be a base64 data URL (data:image/png;base64,…) or an http(s) URL.", path + ".url");
            }
            mediaType = header[..^7].ToString();
            data = url[(comma + 1)..];
        }
        else if (!url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.InvalidRequest($"'{path}.url' must be a base64 data URL (data:image/png;base64,…) or an http(s) URL.", path + ".url");
        }
        var w = turns.Block("user");
        w.WriteStartObject();
        w.WriteString("type"u8, "image"u8);
        w.WriteStartObject("source"u8);
        if (data is not null)
        {
            w.WriteString("type"u8, "base64"u8);
            w.WriteString("media_type"u8, mediaType);
            w.WriteString("data"u8, data);
        }
        else
        {
            w.WriteString("type"u8, "url"u8);
            w.WriteString("url"u8, url);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        return null;
    }

    private static ApiError? WriteAssistant(Turns turns, JsonElement message, JsonElement content, string path)
    {
        if (content.ValueKind is JsonValueKind.String or JsonValueKind.Array)
        {
            foreach (var part in Texts(content, path + ".content", alsoRefusal: true))
            {
                if (!part.TryGet(out var text, out var error))
                {
                    return error;
                }
                WriteTextBlock(turns.Block("assistant"), text);
            }
        }
        if (!message.TryGetProperty("tool_calls"u8, out var calls) || calls.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (calls.ValueKind != JsonValueKind.Array)
        {
            return ApiError.InvalidRequest($"'{path}.tool_calls' must be an array.", path + ".tool_calls");
        }
        var k = -1;
        foreach (var call in calls.EnumerateArray())
        {
            k++;
            var callPath = $"{path}.tool_calls[{k}]";
            if (call.ValueKind != JsonValueKind.Object
                || !call.TryGetProperty("id"u8, out var id) || id.ValueKind != JsonValueKind.String
                || !call.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
            {
                return ApiError.InvalidRequest($"'{callPath}' must be a function call with 'id' and 'function.name'.", callPath);
            }
            var arguments = function.TryGetProperty("arguments"u8, out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            JsonDocument? input = null;
            try
            {
                if (!string.IsNullOrWhiteSpace(arguments))
                {
                    input = JsonDocument.Parse(arguments);
                    if (input.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        return ArgumentsError(callPath);
                    }
                }
            }
            catch (JsonException)
            {
                return ArgumentsError(callPath);
            }
            using (input)
            {
                var w = turns.Block("assistant");
                w.WriteStartObject();
                w.WriteString("type"u8, "tool_use"u8);
                w.WritePropertyName("id"u8);
                id.WriteTo(w);
                w.WritePropertyName("name"u8);
                name.WriteTo(w);
                w.WritePropertyName("input"u8);
                if (input is null)
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                }
                else
                {
                    input.RootElement.WriteTo(w);
                }
                w.WriteEndObject();
            }
        }
        return null;

        static ApiError ArgumentsError(string callPath) => ApiError.InvalidRequest(
            $"'{callPath}.function.arguments' must be a JSON object for Anthropic routes.", callPath + ".function.arguments");
    }

    /// <summary>A tool message becomes a <c>tool_result</c> block of a user turn; consecutive results share one turn.</summary>
    private static ApiError? WriteToolResult(Turns turns, JsonElement message, JsonElement content, string path)
    {
        if (!message.TryGetProperty("tool_call_id"u8, out var id) || id.ValueKind != JsonValueKind.String)
        {
            return ApiError.InvalidRequest($"'{path}.tool_call_id' must be a string.", path + ".tool_call_id");
        }
        var w = turns.Block("user");
        w.WriteStartObject();
        w.WriteString("type"u8, "tool_result"u8);
        w.WritePropertyName("tool_use_id"u8);
        id.WriteTo(w);
        if (content.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("content"u8);
            content.WriteTo(w);
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            w.WriteStartArray("content"u8);
            foreach (var part in Texts(content, path + ".content"))
            {
                if (!part.TryGet(out var text, out var error))
                {
                    return error;
                }
                WriteTextBlock(w, text);
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        return null;
    }

    private static ApiError? WriteTools(Utf8JsonWriter w, JsonElement root)
    {
        if (!root.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return null;
        }
        w.WriteStartArray("tools"u8);
        var t = -1;
        foreach (var tool in tools.EnumerateArray())
        {
            t++;
            if (tool.ValueKind != JsonValueKind.Object
                || !tool.TryGetProperty("type"u8, out var type) || !type.ValueEquals("function"u8)
                || !tool.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
            {
                return ApiError.InvalidRequest($"'tools[{t}]' must be a function tool with 'function.name'; Anthropic routes support function tools only.", $"tools[{t}]");
            }
            w.WriteStartObject();
            w.WritePropertyName("name"u8);
            name.WriteTo(w);
            if (function.TryGetProperty("description"u8, out var description) && description.ValueKind == JsonValueKind.String)
            {
                w.WritePropertyName("description"u8);
                description.WriteTo(w);
            }
            w.WritePropertyName("input_schema"u8);
            if (function.TryGetProperty("parameters"u8, out var parameters) && parameters.ValueKind == JsonValueKind.Object)
            {
                parameters.WriteTo(w);
            }
            else
            {
                // OpenAI allows a tool without parameters; Anthropic requires a schema.
                w.WriteStartObject();
                w.WriteString("type"u8, "object"u8);
                w.WriteStartObject("properties"u8);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        return WriteToolChoice(w, root);
    }

    /// <summary><c>auto</c>→auto, <c>required</c>→any, <c>none</c>→none, a named function→tool;
    /// <c>parallel_tool_calls: false</c>→<c>disable_parallel_tool_use</c>.</summary>
    private static ApiError? WriteToolChoice(Utf8JsonWriter w, JsonElement root)
    {
        var noParallel = root.TryGetProperty("parallel_tool_calls"u8, out var parallel) && parallel.ValueKind == JsonValueKind.False;
        root.TryGetProperty("tool_choice"u8, out var choice);
        string type;
        JsonElement name = default;
        if (choice.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            if (!noParallel)
            {
                return null;
            }
            type = "auto";
        }
        else if (choice.ValueKind == JsonValueKind.String && (choice.ValueEquals("auto"u8) || choice.ValueEquals("required"u8) || choice.ValueEquals("none"u8)))
        {
            type = choice.ValueEquals("required"u8) ? "any" : choice.GetString()!;
        }
        else if (choice.ValueKind == JsonValueKind.Object
            && choice.TryGetProperty("function"u8, out var function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name"u8, out name) && name.ValueKind == JsonValueKind.String)
        {
            type = "tool";
        }
        else
        {
            return ApiError.InvalidRequest(
                "'tool_choice' must be 'auto', 'required', 'none' or {\"type\":\"function\",\"function\":{\"name\":…}}.", "tool_choice");
        }
        w.WriteStartObject("tool_choice"u8);
        w.WriteString("type"u8, type);
        if (type == "tool")
        {
            w.WritePropertyName("name"u8);
            name.WriteTo(w);
        }
        if (noParallel && type != "none")
        {
            w.WriteBoolean("disable_parallel_tool_use"u8, true);
        }
        w.WriteEndObject();
        return null;
    }

    /// <summary>The text of a string content, or of each text part of an array (refusal parts too for assistant
    /// messages); a part of another type is an error. Empty texts are skipped: Anthropic refuses empty blocks.</summary>
    private static IEnumerable<Outcome<JsonElement>> Texts(JsonElement content, string path, bool alsoRefusal = false)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            if (!content.ValueEquals(""u8))
            {
                yield return content;
            }
            yield break;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }
        var j = -1;
        foreach (var part in content.EnumerateArray())
        {
            j++;
            var type = part.GetProperty("type"u8);
            var field = type.ValueEquals("text"u8) ? "text" : alsoRefusal && type.ValueEquals("refusal"u8) ? "refusal" : null;
            if (field is null)
            {
                yield return ApiError.InvalidRequest($"'{path}[{j}].type' must be 'text' here.", $"{path}[{j}].type");
                yield break;
            }
            if (!part.TryGetProperty(field, out var text) || text.ValueKind != JsonValueKind.String)
            {
                yield return ApiError.InvalidRequest($"'{path}[{j}].{field}' must be a string.", $"{path}[{j}].{field}");
                yield break;
            }
            if (!text.ValueEquals(""u8))
            {
                yield return text;
            }
        }
    }

    private static void WriteTextBlock(Utf8JsonWriter w, JsonElement text)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, "text"u8);
        w.WritePropertyName("text"u8);
        text.WriteTo(w);
        w.WriteEndObject();
    }

    /// <summary>Opens a turn on the first block of a role and keeps it open while the role stays the same, so a message
    /// that yields no block yields no (empty, refused) turn.</summary>
    private sealed class Turns(Utf8JsonWriter w)
    {
        private string? _open;

        public Utf8JsonWriter Block(string role)
        {
            if (_open != role)
            {
                Close();
                w.WriteStartObject();
                w.WriteString("role"u8, role);
                w.WriteStartArray("content"u8);
                _open = role;
            }
            return w;
        }

        public void Close()
        {
            if (_open is not null)
            {
                w.WriteEndArray();
                w.WriteEndObject();
                _open = null;
            }
        }
    }
}
