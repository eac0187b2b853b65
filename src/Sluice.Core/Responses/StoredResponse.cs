using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Sluice.Wire;
using Sluice.Accounts;
using Sluice.Payloads;
using Sluice.Retention;
using Sluice.Translation;
using Sluice.Usage;

namespace Sluice.Responses;

/// <summary>
/// A response as Sluice's own encrypted content store keeps it: the request (stored with its whole context: the
/// items of its <c>previous_response_id</c> chain already written into <c>input</c>, so one read gives a turn's whole
/// conversation) and the <c>response</c> object the client received (the JSON, or the one inside the stream's
/// final <c>response.completed</c> / <c>response.incomplete</c> event). Only <c>retain_all</c> accounts have any,
/// within their content period. Disposing clears the decrypted plaintext.
/// </summary>
public sealed class StoredResponse : IDisposable
{
    private readonly PayloadPlaintext _plaintext;
    private readonly List<JsonDocument> _documents = [];

    private StoredResponse(PayloadPlaintext plaintext) => _plaintext = plaintext;

    /// <summary>The request with its whole context.</summary>
    public JsonElement Request { get; private set; }

    /// <summary>The <c>response</c> object the client received.</summary>
    public JsonElement Response { get; private set; }

    /// <summary>The request's input as items (a string input as the user message it stands for).</summary>
    public List<JsonElement> InputItems { get; } = [];

    /// <summary>The conversation so far: the input items, then the output items.</summary>
    public List<JsonElement> Conversation()
    {
        var items = new List<JsonElement>(InputItems);
        if (Response.TryGetProperty("output"u8, out var output) && output.ValueKind == JsonValueKind.Array)
        {
            items.AddRange(output.EnumerateArray());
        }
        return items;
    }

    /// <summary>
    /// Reads response <paramref name="responseId"/> of <paramref name="account"/>. The error says why there is none, in
    /// the caller's terms: a <c>metadata_only</c> account keeps no content (400: it never will); a response never stored,
    /// erased or past its period is not found (404).
    /// </summary>
    public static async Task<Outcome<StoredResponse>> ReadAsync(PayloadStore payloads, Account account, string responseId,
        string param, CancellationToken cancellationToken)
    {
        if (account.Retention.ContentMode != ContentMode.RetainAll)
        {
            return KeepsNoContent(param);
        }
        if (ResponseIdentity.RequestIdOf(responseId) is not { } requestId || !RequestId.TryParse(requestId, out var id))
        {
            return NotFound(responseId, param);
        }
        var (plaintext, failure) = await payloads.ReadAsync(account.Id, id, cancellationToken);
        if (failure is { } f)
        {
            return f == PayloadFailure.DataKeyDestroyed ? NotFound(responseId, param) : f.ToApiError();
        }
        if (plaintext is null)
        {
            return NotFound(responseId, param);
        }
        var stored = new StoredResponse(plaintext);
        try
        {
            if (!stored.Parse())
            {
                stored.Dispose();
                return new ApiError(404, "invalid_request_error", "response_content_incomplete",
                    $"Response '{ApiError.Echo(responseId)}' was stored only in part (it exceeded the content size Sluice keeps per request), so it cannot be read or continued. Send the full input instead.", param);
            }
            return stored;
        }
        catch
        {
            stored.Dispose();
            throw;
        }
    }

    public static ApiError KeepsNoContent(string? param) => new(400, "invalid_request_error", "content_not_retained",
        "This account keeps no content (its retention is metadata_only), so Sluice cannot serve stored responses or 'previous_response_id', and providers are asked to keep nothing either. Send the full conversation as 'input' each turn (with include: [\"reasoning.encrypted_content\"] for reasoning models).",
        param);

    private static ApiError NotFound(string responseId, string param) => new(404, "invalid_request_error", "response_not_found",
        $"Response '{ApiError.Echo(responseId)}' was not found: Sluice keeps a response's content only for retain_all accounts, within their content period, unless the request asked for less (store: false) or it was deleted.",
        param);

    private bool Parse()
    {
        var payload = Own(JsonDocument.Parse(_plaintext.Json)).RootElement;
        if (!payload.TryGetProperty("request"u8, out var request) || request.ValueKind != JsonValueKind.Object
            || !payload.TryGetProperty("response"u8, out var response))
        {
            return false;
        }
        Request = request;
        if (response.ValueKind == JsonValueKind.Object)
        {
            Response = response;
        }
        else if (response.ValueKind == JsonValueKind.String && !(payload.TryGetProperty("response_truncated"u8, out var cut) && cut.ValueKind == JsonValueKind.True))
        {
            // A stream: the last response.completed (or .incomplete) event holds the whole response object.
            var bytes = Encoding.UTF8.GetBytes(response.GetString()!);
            foreach (var item in SseParser.Create(new MemoryStream(bytes), static (type, data) => data.ToArray()).Enumerate())
            {
                if (item.EventType is "response.completed" or "response.incomplete")
                {
                    var data = Own(JsonDocument.Parse(item.Data)).RootElement;
                    if (data.TryGetProperty("response"u8, out var final))
                    {
                        Response = final;
                    }
                }
            }
        }
        if (Response.ValueKind != JsonValueKind.Object)
        {
            return false;
        }
        if (request.TryGetProperty("input"u8, out var input))
        {
            if (input.ValueKind == JsonValueKind.String)
            {
                using var text = new PooledBufferWriter(input.GetRawText().Length + 64);
                using (var w = new Utf8JsonWriter(text))
                {
                    w.WriteStartObject();
                    w.WriteString("type"u8, "message"u8);
                    w.WriteString("role"u8, "user"u8);
                    w.WriteStartArray("content"u8);
                    w.WriteStartObject();
                    w.WriteString("type"u8, "input_text"u8);
                    w.WritePropertyName("text"u8);
                    input.WriteTo(w);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                InputItems.Add(Own(JsonDocument.Parse(text.WrittenMemory.ToArray())).RootElement);
            }
            else if (input.ValueKind == JsonValueKind.Array)
            {
                InputItems.AddRange(input.EnumerateArray());
            }
        }
        return true;
    }

    private JsonDocument Own(JsonDocument document)
    {
        _documents.Add(document);
        return document;
    }

    public void Dispose()
    {
        foreach (var document in _documents)
        {
            document.Dispose();
        }
        _plaintext.Dispose();
    }
}
