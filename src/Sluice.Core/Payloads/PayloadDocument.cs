using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Payloads;

/// <summary>
/// The plaintext of a stored payload, one JSON object on one line (so an export can embed it in NDJSON as is):
/// the request as the client sent it and the response as the client received it, each as JSON when it was complete
/// JSON, otherwise (a stream, or a copy cut at the cap) as text, with its full size and whether it was truncated.
/// </summary>
internal static class PayloadDocument
{
    public const string Format = "sluice-payload-v1";

    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> body, JsonElement root, PayloadCapture capture, UsageRecord row)
    {
        using var json = new Utf8JsonWriter(output, s_options);
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteString("request_id", row.RequestId.Value);
        json.WriteString("account_id", row.AccountId);
        json.WriteString("data_region", row.DataRegion);
        json.WriteString("created_at", row.RequestId.CreatedAt);
        json.WriteString("model", row.Model);

        var requestTruncated = body.Length > capture.MaxBytes;
        json.WriteNumber("request_bytes", body.Length);
        json.WriteBoolean("request_truncated", requestTruncated);
        json.WritePropertyName("request");
        if (requestTruncated)
        {
            json.WriteStringValue(Encoding.UTF8.GetString(body[..capture.MaxBytes]));
        }
        else
        {
            // Re-written from the parsed document: compact, so the payload stays on one line.
            root.WriteTo(json);
        }

        json.WriteString("response_format", capture.IsStream ? "sse" : "json");
        json.WriteNumber("response_bytes", capture.ObservedBytes);
        json.WriteBoolean("response_truncated", capture.Truncated);
        json.WritePropertyName("response");
        WriteResponse(json, capture);
        json.WriteEndObject();
    }

    private static void WriteResponse(Utf8JsonWriter json, PayloadCapture capture)
    {
        if (!capture.IsStream && !capture.Truncated && capture.Response.Length > 0)
        {
            try
            {
                var reader = new Utf8JsonReader(capture.Response);
                using var document = JsonDocument.ParseValue(ref reader);
                document.RootElement.WriteTo(json);
                return;
            }
            catch (JsonException)
            {
                // Not JSON after all (a provider's odd body): keep it as text below.
            }
        }
        json.WriteStringValue(Encoding.UTF8.GetString(capture.Response));
    }
}
