using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Wire;

/// <summary>
/// A validated OpenAI chat-completions request. It keeps the raw body (a <see cref="BufferedBody"/>) and its parsed
/// document, so providers can rewrite it for their upstream without a second parse. Validation messages name the
/// field and the rule, never the value: a value may be part of a prompt.
/// </summary>
public sealed class ChatRequest : IDisposable
{
    /// <summary>Longest model name accepted: real model ids and deployment names are far shorter, and the name is
    /// written to every usage row.</summary>
    public const int MaxModelLength = 256;

    private static readonly string[] s_roles = ["system", "developer", "user", "assistant", "tool", "function"];

    private readonly BufferedBody _body;
    private readonly JsonDocument _document;

    private ChatRequest(BufferedBody body, JsonDocument document)
    {
        _body = body;
        Body = body.Memory;
        _document = document;
    }

    /// <summary>The body exactly as the client sent it.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public JsonElement Root => _document.RootElement;
    public JsonElement Messages => Root.GetProperty("messages");
    public string Model { get; private init; } = "";
    public bool Stream { get; private init; }

    /// <summary>The client asked for the final usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool ClientWantsStreamUsage { get; private init; }

    /// <summary>OpenAI's <c>store</c> flag: <c>false</c> tightens content storage for this request.</summary>
    public bool? Store { get; private init; }

    /// <summary><c>max_completion_tokens</c>, or the older <c>max_tokens</c>.</summary>
    public int? MaxTokens { get; private init; }

    /// <summary>Parses and validates <paramref name="length"/> bytes of <paramref name="rented"/>, taking ownership of the
    /// pooled array (returned to the pool on dispose or on failure, when it is 1 MiB or less).</summary>
    public static bool TryParse(byte[] rented, int length, [NotNullWhen(true)] out ChatRequest? request, [NotNullWhen(false)] out ApiError? error) =>
        TryParse(BufferedBody.FromPooled(rented, length), out request, out error);

    /// <summary>Parses and validates <paramref name="body"/>, taking ownership of it (disposed with the request, or at
    /// once on failure).</summary>
    public static bool TryParse(BufferedBody body, [NotNullWhen(true)] out ChatRequest? request, [NotNullWhen(false)] out ApiError? error)
    {
        request = null;
        if (!RequestJson.Parse(body).TryGet(out var document, out error))
        {
            body.Dispose();
            return false;
        }

        error = Validate(document.RootElement, out var model, out var stream, out var wantsUsage, out var store, out var maxTokens);
        if (error is not null)
        {
            document.Dispose();
            body.Dispose();
            return false;
        }
        request = new ChatRequest(body, document)
        {
            Model = model!,
            Stream = stream,
            ClientWantsStreamUsage = wantsUsage,
            Store = store,
            MaxTokens = maxTokens,
        };
        return true;
    }

    private static ApiError? Validate(JsonElement root, out string? model, out bool stream, out bool wantsUsage, out bool? store, out int? maxTokens)
    {
        model = null; stream = false; wantsUsage = false; store = null; maxTokens = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest("The request body must be a JSON object.");
        }

        if (ValidateModel(root, out model) is { } modelError)
        {
            return modelError;
        }

        if (!root.TryGetProperty("messages", out var messages))
        {
            return ApiError.InvalidRequest("Missing required parameter: 'messages'.", "messages");
        }
        if (messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return ApiError.InvalidRequest("'messages' must be a non-empty array.", "messages");
        }
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (ValidateMessage(message, i) is { } messageError)
            {
                return messageError;
            }
            i++;
        }

        if (root.TryGetProperty("stream", out var s))
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest("'stream' must be a boolean.", "stream");
            }
            stream = s.ValueKind == JsonValueKind.True;
        }
        if (root.TryGetProperty("stream_options", out var so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object)
            {
                return ApiError.InvalidRequest("'stream_options' must be an object.", "stream_options");
            }
            if (so.TryGetProperty("include_usage", out var iu))
            {
                if (iu.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return ApiError.InvalidRequest("'stream_options.include_usage' must be a boolean.", "stream_options.include_usage");
                }
                wantsUsage = iu.ValueKind == JsonValueKind.True;
            }
        }
        if (root.TryGetProperty("store", out var st) && st.ValueKind != JsonValueKind.Null)
        {
            if (st.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return ApiError.InvalidRequest("'store' must be a boolean.", "store");
            }
            store = st.ValueKind == JsonValueKind.True;
        }
        foreach (var field in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(field, out var mt) && mt.ValueKind != JsonValueKind.Null)
            {
                if (mt.ValueKind != JsonValueKind.Number || !mt.TryGetInt32(out var n) || n < 1)
                {
                    return ApiError.InvalidRequest($"'{field}' must be a positive integer.", field);
                }
                maxTokens ??= n;
            }
        }
        foreach (var field in (ReadOnlySpan<string>)["temperature", "top_p", "presence_penalty", "frequency_penalty"])
        {
            if (root.TryGetProperty(field, out var v) && v.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
            {
                return ApiError.InvalidRequest($"'{field}' must be a number.", field);
            }
        }
        if (root.TryGetProperty("n", out var nValue) && nValue.ValueKind != JsonValueKind.Null
            && (nValue.ValueKind != JsonValueKind.Number || !nValue.TryGetInt32(out var count) || count < 1))
        {
            return ApiError.InvalidRequest("'n' must be a positive integer.", "n");
        }
        if (root.TryGetProperty("stop", out var stop) && !IsStop(stop))
        {
            return ApiError.InvalidRequest("'stop' must be a string or an array of strings.", "stop");
        }
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            return ApiError.InvalidRequest("'tools' must be an array.", "tools");
        }
        return null;
    }

    /// <summary>The <c>model</c> field as every API shape takes it: a non-empty string of at most
    /// <see cref="MaxModelLength"/> characters, no control characters. The root must be an object.</summary>
    public static ApiError? ValidateModel(JsonElement root, out string? model)
    {
        model = null;
        if (!root.TryGetProperty("model", out var m))
        {
            return ApiError.InvalidRequest("You must provide a model parameter.", "model");
        }
        if (m.ValueKind != JsonValueKind.String)
        {
            return ApiError.InvalidRequest("'model' must be a non-empty string.", "model");
        }
        // An escape is at most six bytes per character: a longer raw value is over the cap without decoding it.
        var name = JsonMarshal.GetRawUtf8Value(m).Length <= 6 * MaxModelLength ? m.GetString()! : null;
        if (name is null || name.Length > MaxModelLength)
        {
            return ApiError.InvalidRequest($"'model' must be at most {MaxModelLength} characters.", "model");
        }
        if (name.Length == 0)
        {
            return ApiError.InvalidRequest("'model' must be a non-empty string.", "model");
        }
        if (name.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || name.AsSpan().ContainsAnyInRange('\u007f', '\u009f'))
        {
            return ApiError.InvalidRequest("'model' must not contain control characters.", "model");
        }
        model = name;
        return null;
    }

    private static ApiError? ValidateMessage(JsonElement message, int index)
    {
        // The path is only built for an error: a valid request allocates nothing per message here.
        string Path() => string.Create(CultureInfo.InvariantCulture, $"messages[{index}]");
        if (message.ValueKind != JsonValueKind.Object)
        {
            return ApiError.InvalidRequest($"'{Path()}' must be an object.", Path());
        }
        if (!message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || !IsRole(role))
        {
            return ApiError.InvalidRequest($"'{Path()}.role' must be one of {string.Join(", ", s_roles)}.", $"{Path()}.role");
        }
        if (message.TryGetProperty("content", out var content)
            && content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
        {
            return ApiError.InvalidRequest($"'{Path()}.content' must be a string, an array of content parts, or null.", $"{Path()}.content");
        }
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    return ApiError.InvalidRequest($"Each part of '{Path()}.content' must be an object with a string 'type'.", $"{Path()}.content");
                }
            }
        }
        return null;
    }

    /// <summary>Compares the raw value, so checking a role does not allocate its string.</summary>
    private static bool IsRole(JsonElement role)
    {
        foreach (var known in s_roles)
        {
            if (role.ValueEquals(known))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsStop(JsonElement stop)
    {
        if (stop.ValueKind is JsonValueKind.String or JsonValueKind.Null)
        {
            return true;
        }
        if (stop.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var item in stop.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }
        }
        return true;
    }

    public void Dispose()
    {
        _document.Dispose();
        _body.Dispose();
    }
}
