using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Sluice.Wire;

namespace Sluice.Translation;

/// <summary>
/// Rewrites a Responses request as a Chat Completions request, the hub shape every provider speaks: <c>instructions</c>
/// → a leading system message; <c>input</c> (a string, or message, <c>function_call</c> and
/// <c>function_call_output</c> items) → messages, consecutive assistant items (text and function calls) folding into
/// one assistant message as Chat Completions carries them; function <c>tools</c> and <c>tool_choice</c> → their chat
/// forms; <c>text.format</c> → <c>response_format</c>; <c>reasoning.effort</c> → <c>reasoning_effort</c>;
/// <c>max_output_tokens</c> → <c>max_tokens</c>. Whatever Chat Completions cannot express (built-in tools, file
/// inputs, logprobs, provider-side state, fields this translation does not know) is a 400 here, before any upstream
/// call: never silently dropped. docs/api-surfaces-responses.md lists each loss.
/// </summary>
public static class ResponsesToChat
{
    /// <summary>Request fields translated or deliberately not sent upstream (echoed back in the response, or Sluice's
    /// own); any other field is refused.</summary>
    private static readonly string[] s_known =
    [
        "model", "input", "instructions", "tools", "tool_choice", "text", "reasoning", "max_output_tokens", "temperature",
        "top_p", "parallel_tool_calls", "metadata", "include", "stream", "store", "previous_response_id", "user",
        "safety_identifier", "prompt_cache_key", "service_tier", "truncation", "background", "conversation",
        "stream_options", "top_logprobs", "max_tool_calls", "prompt",
    ];

    /// <summary><c>include</c> values that ask for nothing a translated answer would carry, or for items the refused
    /// built-in tools would make; <c>message.output_text.logprobs</c> is not among them (Chat logprobs are not
    /// translated back).</summary>
    private static readonly string[] s_includable =
    [
        "reasoning.encrypted_content", "file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
        "message.input_image.image_url", "computer_call_output.output.image_url", "code_interpreter_call.outputs",
    ];

    private static readonly JsonWriterOptions s_options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the chat request for <paramref name="request"/>, whose context starts with
    /// <paramref name="history"/> (the input and output items of its <c>previous_response_id</c> chain, oldest first).
    /// Returns the 400 for the first thing that cannot be expressed; the output is then incomplete and must be dropped.</summary>
    public static ApiError? Write(ResponsesRequest request, IReadOnlyList<JsonElement> history, IBufferWriter<byte> output)
    {
        var root = request.Root;
        if (Refuse(root) is { } refused)
        {
            return refused;
        }
        using var w = new Utf8JsonWriter(output, s_options);
        w.WriteStartObject();
        w.WriteString("model"u8, request.Model);
        w.WriteStartArray("messages"u8);
        if (root.TryGetProperty("instructions"u8, out var instructions) && instructions.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            instructions.WriteTo(w);
            w.WriteEndObject();
        }
        var items = new List<JsonElement>(history);
        JsonElement? text = null;
        if (root.TryGetProperty("input"u8, out var input))
        {
            if (input.ValueKind == JsonValueKind.String)
            {
                text = input;
            }
            else if (input.ValueKind == JsonValueKind.Array)
            {
                items.AddRange(input.EnumerateArray());
            }
        }
        if (WriteItems(w, items, history.Count) is { } itemError)
        {
            return itemError;
        }
        if (text is { } userText)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "user"u8);
            w.WritePropertyName("content"u8);
            userText.WriteTo(w);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        var hasTools = false;
        if (root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
        {
            if (WriteTools(w, tools) is { } toolError)
            {
                return toolError;
            }
            hasTools = true;
        }
        if (root.TryGetProperty("tool_choice"u8, out var choice) && choice.ValueKind != JsonValueKind.Null && WriteToolChoice(w, choice) is { } choiceError)
        {
            return choiceError;
        }
        if (hasTools && root.TryGetProperty("parallel_tool_calls"u8, out var parallel) && parallel.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            // Chat Completions refuses parallel_tool_calls without tools.
            w.WriteBoolean("parallel_tool_calls"u8, parallel.ValueKind == JsonValueKind.True);
        }
        if (root.TryGetProperty("text"u8, out var textOptions) && textOptions.ValueKind == JsonValueKind.Object && WriteTextOptions(w, textOptions) is { } textError)
        {
            return textError;
        }
        if (root.TryGetProperty("reasoning"u8, out var reasoning) && reasoning.ValueKind == JsonValueKind.Object
            && reasoning.TryGetProperty("effort"u8, out var effort) && effort.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("reasoning_effort"u8);
            effort.WriteTo(w);
        }
        if (request.MaxOutputTokens is { } max)
        {
            // max_tokens rather than max_completion_tokens: every chat-only server reads it.
            w.WriteNumber("max_tokens"u8, max);
        }
        foreach (var field in (ReadOnlySpan<string>)["temperature", "top_p", "user", "safety_identifier", "prompt_cache_key", "service_tier"])
        {
            if (root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                w.WritePropertyName(field);
                value.WriteTo(w);
            }
        }
        if (request.Stream)
        {
            w.WriteBoolean("stream"u8, true);
        }
        w.WriteEndObject();
        w.Flush();
        return null;
    }

    /// <summary>Fields and values with no Chat Completions form.</summary>
    private static ApiError? Refuse(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (Array.IndexOf(s_known, property.Name) < 0)
            {
                var name = ApiError.Echo(property.Name);
                return ResponsesRequest.Unsupported(name,
                    $"'{name}' has no equivalent on this model's route, which speaks Chat Completions only; remove it or use a model served by OpenAI or Azure OpenAI.");
            }
        }
        if (root.TryGetProperty("truncation"u8, out var truncation) && truncation.ValueKind == JsonValueKind.String && !truncation.ValueEquals("disabled"u8))
        {
            return ChatOnly("truncation", "'truncation: auto' (dropping context to fit)");
        }
        if (root.TryGetProperty("top_logprobs"u8, out var logprobs) && logprobs.ValueKind == JsonValueKind.Number && logprobs.GetDouble() > 0)
        {
            return ChatOnly("top_logprobs", "Log probabilities");
        }
        if (root.TryGetProperty("max_tool_calls"u8, out var maxCalls) && maxCalls.ValueKind != JsonValueKind.Null)
        {
            return ChatOnly("max_tool_calls", "A limit on built-in tool calls");
        }
        if (root.TryGetProperty("prompt"u8, out var prompt) && prompt.ValueKind != JsonValueKind.Null)
        {
            return ChatOnly("prompt", "Prompt templates kept at the provider");
        }
        if (root.TryGetProperty("include"u8, out var include) && include.ValueKind == JsonValueKind.Array)
        {
            foreach (var value in include.EnumerateArray())
            {
                if (value.ValueKind != JsonValueKind.String || Array.IndexOf(s_includable, value.GetString()) < 0)
                {
                    return ChatOnly("include", value.ValueKind == JsonValueKind.String && value.ValueEquals("message.output_text.logprobs"u8)
                        ? "Log probabilities ('include: message.output_text.logprobs')"
                        : "This 'include' value");
                }
            }
        }
        return null;
    }

    private static ApiError ChatOnly(string param, string what) => ResponsesRequest.Unsupported(param,
        $"{what} cannot be expressed on this model's route, which speaks Chat Completions only; remove it or use a model served by OpenAI or Azure OpenAI.");

    /// <summary>Writes the messages for <paramref name="items"/>; the first <paramref name="historyCount"/> come from
    /// the stored chain (errors name them as such).</summary>
    private static ApiError? WriteItems(Utf8JsonWriter w, List<JsonElement> items, int historyCount)
    {
        for (var i = 0; i < items.Count;)
        {
            var item = items[i];
            string Path() => i < historyCount
                ? "previous_response_id"
                : string.Create(CultureInfo.InvariantCulture, $"input[{i - historyCount}]");
            var type = ItemType(item);
            if (type == "message" && Role(item) is "user" or "system" or "developer")
            {
                if (WriteInputMessage(w, item, Path()) is { } error)
                {
                    return error;
                }
                i++;
                continue;
            }
            if (type == "function_call_output")
            {
                if (!item.TryGetProperty("call_id"u8, out var callId) || callId.ValueKind != JsonValueKind.String)
                {
                    return ApiError.InvalidRequest($"'{Path()}.call_id' must be a string.", Path() + ".call_id");
                }
                w.WriteStartObject();
                w.WriteString("role"u8, "tool"u8);
                w.WritePropertyName("tool_call_id"u8);
                callId.WriteTo(w);
                w.WritePropertyName("content"u8);
                if (!item.TryGetProperty("output"u8, out var outputValue) || WriteText(w, outputValue, "input_text"u8) is false)
                {
                    return ApiError.InvalidRequest($"'{Path()}.output' must be a string or text parts.", Path() + ".output");
                }
                w.WriteEndObject();
                i++;
                continue;
            }
            if (type is "message" or "function_call" or "reasoning")
            {
                if (WriteAssistantRun(w, items, ref i, historyCount) is { } error)
                {
                    return error;
                }
                continue;
            }
            var what = type is null ? "An input item without a type or role" : $"Input items of type '{ApiError.Echo(type)}'";
            return ResponsesRequest.Unsupported(Path(), type == "item_reference"
                ? "Item references point at items kept by the provider; Sluice keeps none there. Send the item itself."
                : $"{what} cannot be expressed on this model's route, which speaks Chat Completions only.");
        }
        return null;
    }

    /// <summary>A run of assistant messages, function calls and reasoning items, as the one assistant message Chat
    /// Completions would have carried: its text joined, its calls in <c>tool_calls</c>.</summary>
    private static ApiError? WriteAssistantRun(Utf8JsonWriter w, List<JsonElement> items, ref int i, int historyCount)
    {
        var start = i;
        var end = i;
        while (end < items.Count && ItemType(items[end]) is { } t
            && (t == "function_call" || t == "reasoning" || (t == "message" && Role(items[end]) == "assistant")))
        {
            end++;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, "assistant"u8);
        var hasText = false;
        for (var k = start; k < end; k++)
        {
            var item = items[k];
            var path = k < historyCount ? "previous_response_id" : string.Create(CultureInfo.InvariantCulture, $"input[{k - historyCount}]");
            var type = ItemType(item);
            if (type == "reasoning")
            {
                // A summary-only reasoning item carries nothing the model needs back; encrypted reasoning was made by
                // a provider that keeps reasoning state, which a chat-only route cannot take.
                if (item.TryGetProperty("encrypted_content"u8, out var encrypted) && encrypted.ValueKind == JsonValueKind.String)
                {
                    return ResponsesRequest.Unsupported(path,
                        "Encrypted reasoning items cannot be sent to this model's route, which speaks Chat Completions only; send them only to the model that produced them.");
                }
                continue;
            }
            if (type != "message" || !item.TryGetProperty("content"u8, out var content))
            {
                continue;
            }
            if (hasText)
            {
                return ResponsesRequest.Unsupported(path,
                    "Two assistant messages in one turn cannot be expressed in Chat Completions; join their text into one message.");
            }
            w.WritePropertyName("content"u8);
            if (!WriteText(w, content, "output_text"u8))
            {
                return ApiError.InvalidRequest($"'{path}.content' must be a string or output_text parts.", path + ".content");
            }
            hasText = true;
        }
        if (!hasText)
        {
            w.WriteNull("content"u8);
        }
        var calls = false;
        for (var k = start; k < end; k++)
        {
            var item = items[k];
            if (ItemType(item) != "function_call")
            {
                continue;
            }
            var path = k < historyCount ? "previous_response_id" : string.Create(CultureInfo.InvariantCulture, $"input[{k - historyCount}]");
            if (!item.TryGetProperty("call_id"u8, out var callId) || callId.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("arguments"u8, out var arguments) || arguments.ValueKind != JsonValueKind.String)
            {
                return ApiError.InvalidRequest($"'{path}' must have string 'call_id', 'name' and 'arguments'.", path);
            }
            if (!calls)
            {
                w.WriteStartArray("tool_calls"u8);
                calls = true;
            }
            w.WriteStartObject();
            w.WritePropertyName("id"u8);
            callId.WriteTo(w);
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WritePropertyName("name"u8);
            name.WriteTo(w);
            w.WritePropertyName("arguments"u8);
            arguments.WriteTo(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (calls)
        {
            w.WriteEndArray();
        }
        w.WriteEndObject();
        i = end;
        return null;
    }

    private static ApiError? WriteInputMessage(Utf8JsonWriter w, JsonElement item, string path)
    {
        w.WriteStartObject();
        w.WritePropertyName("role"u8);
        item.GetProperty("role"u8).WriteTo(w);
        if (!item.TryGetProperty("content"u8, out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            return ApiError.InvalidRequest($"'{path}.content' must be a string or an array of content parts.", path + ".content");
        }
        w.WritePropertyName("content"u8);
        if (content.ValueKind == JsonValueKind.String)
        {
            content.WriteTo(w);
            w.WriteEndObject();
            return null;
        }
        w.WriteStartArray();
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = string.Create(CultureInfo.InvariantCulture, $"{path}.content[{index++}]");
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type is "input_text" or "output_text" && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "text"u8);
                w.WritePropertyName("text"u8);
                text.WriteTo(w);
                w.WriteEndObject();
                continue;
            }
            if (type == "input_image")
            {
                if (!part.TryGetProperty("image_url"u8, out var url) || url.ValueKind != JsonValueKind.String)
                {
                    return ResponsesRequest.Unsupported(partPath,
                        "Images by file_id refer to files kept by the provider; send the image as an 'image_url' (a URL or a data: URL).");
                }
                w.WriteStartObject();
                w.WriteString("type"u8, "image_url"u8);
                w.WriteStartObject("image_url"u8);
                w.WritePropertyName("url"u8);
                url.WriteTo(w);
                if (part.TryGetProperty("detail"u8, out var detail) && detail.ValueKind == JsonValueKind.String)
                {
                    w.WritePropertyName("detail"u8);
                    detail.WriteTo(w);
                }
                w.WriteEndObject();
                w.WriteEndObject();
                continue;
            }
            return type is null
                ? ApiError.InvalidRequest($"Each part of '{path}.content' must be an object with a string 'type'.", partPath)
                : ResponsesRequest.Unsupported(partPath,
                    $"Content parts of type '{ApiError.Echo(type)}' cannot be expressed on this model's route, which speaks Chat Completions only.");
        }
        w.WriteEndArray();
        w.WriteEndObject();
        return null;
    }

    /// <summary>A string, or text parts of <paramref name="partType"/> (or <c>input_text</c>) joined, as a JSON string.</summary>
    private static bool WriteText(Utf8JsonWriter w, JsonElement value, ReadOnlySpan<byte> partType)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            value.WriteTo(w);
            return true;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        var joined = new System.Text.StringBuilder();
        foreach (var part in value.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type"u8, out var type)
                || !(type.ValueEquals(partType) || type.ValueEquals("input_text"u8))
                || !part.TryGetProperty("text"u8, out var text) || text.ValueKind != JsonValueKind.String)
            {
                return false;
            }
            joined.Append(text.GetString());
        }
        w.WriteStringValue(joined.ToString());
        return true;
    }

    private static ApiError? WriteTools(Utf8JsonWriter w, JsonElement tools)
    {
        w.WriteStartArray("tools"u8);
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"tools[{index++}]");
            var type = tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type != "function")
            {
                return ResponsesRequest.Unsupported(path, type is null
                    ? "Each tool must be an object with a string 'type'."
                    : $"Built-in tools ('{ApiError.Echo(type)}') run at the provider and cannot be expressed on this model's route, which speaks Chat Completions only; use function tools, or a model served by OpenAI or Azure OpenAI.");
            }
            if (!tool.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
            {
                return ApiError.InvalidRequest($"'{path}.name' must be a string.", path + ".name");
            }
            w.WriteStartObject();
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            foreach (var property in tool.EnumerateObject())
            {
                if (property.NameEquals("name"u8) || property.NameEquals("description"u8) || property.NameEquals("parameters"u8) || property.NameEquals("strict"u8))
                {
                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        property.WriteTo(w);
                    }
                }
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        return null;
    }

    private static ApiError? WriteToolChoice(Utf8JsonWriter w, JsonElement choice)
    {
        if (choice.ValueKind == JsonValueKind.String)
        {
            if (!(choice.ValueEquals("auto"u8) || choice.ValueEquals("none"u8) || choice.ValueEquals("required"u8)))
            {
                return ApiError.InvalidRequest("'tool_choice' must be 'auto', 'none', 'required' or a function choice.", "tool_choice");
            }
            w.WritePropertyName("tool_choice"u8);
            choice.WriteTo(w);
            return null;
        }
        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type"u8, out var type) && type.ValueEquals("function"u8)
            && choice.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject("tool_choice"u8);
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WritePropertyName("name"u8);
            name.WriteTo(w);
            w.WriteEndObject();
            w.WriteEndObject();
            return null;
        }
        return ChatOnly("tool_choice", "This 'tool_choice' (built-in tools, allowed_tools, custom or MCP tools)");
    }

    private static ApiError? WriteTextOptions(Utf8JsonWriter w, JsonElement text)
    {
        if (text.TryGetProperty("format"u8, out var format) && format.ValueKind == JsonValueKind.Object)
        {
            var type = format.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case "text":
                    break;
                case "json_object":
                    w.WriteStartObject("response_format"u8);
                    w.WriteString("type"u8, "json_object"u8);
                    w.WriteEndObject();
                    break;
                case "json_schema":
                    if (!format.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String
                        || !format.TryGetProperty("schema"u8, out var schema) || schema.ValueKind != JsonValueKind.Object)
                    {
                        return ApiError.InvalidRequest("'text.format' of type json_schema needs a string 'name' and an object 'schema'.", "text.format");
                    }
                    w.WriteStartObject("response_format"u8);
                    w.WriteString("type"u8, "json_schema"u8);
                    w.WriteStartObject("json_schema"u8);
                    foreach (var property in format.EnumerateObject())
                    {
                        if (!property.NameEquals("type"u8) && property.Value.ValueKind != JsonValueKind.Null)
                        {
                            property.WriteTo(w);
                        }
                    }
                    w.WriteEndObject();
                    w.WriteEndObject();
                    break;
                default:
                    return ChatOnly("text.format", "This 'text.format'");
            }
        }
        if (text.TryGetProperty("verbosity"u8, out var verbosity) && verbosity.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("verbosity"u8);
            verbosity.WriteTo(w);
        }
        return null;
    }

    /// <summary>An item's type; an item with a role and no type is a message (the API's "easy" input message).</summary>
    internal static string? ItemType(JsonElement item)
    {
        if (item.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String)
        {
            return type.GetString();
        }
        return item.TryGetProperty("role"u8, out _) ? "message" : null;
    }

    private static string? Role(JsonElement item) =>
        item.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String ? role.GetString() : null;
}
