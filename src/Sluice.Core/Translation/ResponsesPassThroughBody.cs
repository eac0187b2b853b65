using Sluice.Wire;
using System.Buffers;
using System.Text.Json;

namespace Sluice.Translation;

/// <summary>
/// The body of a Responses call to a route that speaks Responses itself (OpenAI, Azure OpenAI): the client's body with
/// every field it sent copied as is (so provider features Sluice does not model survive), except <c>model</c>
/// (rewritten to the route's upstream model), <c>store</c> (always <c>false</c>: the provider keeps nothing, whatever
/// the client asked; <c>store</c> is the client's word to Sluice's own content store) and
/// <c>previous_response_id</c> (Sluice's own id, resolved from its content store: the chain's items are written at
/// the start of <c>input</c> instead).
/// </summary>
public static class ResponsesPassThroughBody
{
    public static void Write(ResponsesRequest request, string upstreamModel, IReadOnlyList<JsonElement> history, IBufferWriter<byte> output) =>
        WriteBody(request, upstreamModel, history, output);

    /// <summary>The request as Sluice's content store keeps it: as the client sent it, but with the chain's items
    /// written at the start of <c>input</c>, so a later turn, <c>GET</c> or <c>input_items</c> needs one read.</summary>
    public static void WriteWithContext(ResponsesRequest request, IReadOnlyList<JsonElement> history, IBufferWriter<byte> output) =>
        WriteBody(request, upstreamModel: null, history, output);

    // upstreamModel null: keep the request's own model, store and previous_response_id (the stored form).
    private static void WriteBody(ResponsesRequest request, string? upstreamModel, IReadOnlyList<JsonElement> history, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, ResponseObject.WriterOptions);
        w.WriteStartObject();
        if (upstreamModel is not null)
        {
            w.WriteString("model"u8, upstreamModel);
        }
        var wroteInput = false;
        foreach (var property in request.Root.EnumerateObject())
        {
            if (upstreamModel is not null
                && (property.NameEquals("model"u8) || property.NameEquals("store"u8) || property.NameEquals("previous_response_id"u8)))
            {
                continue;
            }
            if (property.NameEquals("input"u8) && history.Count > 0)
            {
                WriteInput(w, history, property.Value);
                wroteInput = true;
                continue;
            }
            property.WriteTo(w);
        }
        if (!wroteInput && history.Count > 0)
        {
            WriteInput(w, history, default);
        }
        if (upstreamModel is not null)
        {
            w.WriteBoolean("store"u8, false);
        }
        w.WriteEndObject();
        w.Flush();
    }

    /// <summary>The chain's items, then this turn's input (a string input as the user message it stands for).</summary>
    private static void WriteInput(Utf8JsonWriter w, IReadOnlyList<JsonElement> history, JsonElement input)
    {
        w.WriteStartArray("input"u8);
        foreach (var item in history)
        {
            item.WriteTo(w);
        }
        if (input.ValueKind == JsonValueKind.String)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "user"u8);
            w.WritePropertyName("content"u8);
            input.WriteTo(w);
            w.WriteEndObject();
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                item.WriteTo(w);
            }
        }
        w.WriteEndArray();
    }
}
