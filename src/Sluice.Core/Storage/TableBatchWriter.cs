using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Sluice.Proxy;

namespace Sluice.Storage;

/// <summary>
/// Submits one entity group transaction (<c>$batch</c>, one changeset, one partition) to one table: exactly what
/// <see cref="TableClient.SubmitTransactionAsync"/> sends for Add and UpdateReplace actions, byte for byte in the
/// entities' JSON, so rows written either way read back the same. It exists because the SDK builds a full request per
/// sub-operation and parses the reply line by line into strings, some 37 KB of garbage per usage row; this one writes
/// the body into a pooled buffer and reads the reply in place.
/// </summary>
/// <remarks>
/// Requests go through an Azure.Core pipeline built from the same <see cref="TableClientOptions"/> as the SDK clients
/// (retries, timeouts, no telemetry), so failures surface as they did: <see cref="RequestFailedException"/> or
/// transport exceptions, and <see cref="TableBatchFailedException"/> when the service refuses the changeset.
/// </remarks>
public sealed class TableBatchWriter
{
    /// <summary>The version the SDK (12.13) sends; the wire format below is that version's.</summary>
    private const string ServiceVersion = "2020-12-06";

    /// <summary>The well-known key of the storage emulator (public, documented; not a secret).</summary>
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly byte[] s_odataType = "@odata.type"u8.ToArray();

    private readonly HttpPipeline _pipeline;
    private readonly Uri _batchUri;
    private readonly byte[] _addHead;
    private readonly byte[] _putHead;
    private readonly byte[] _putTail;
    private readonly ConcurrentQueue<Scratch> _scratch = new();

    private TableBatchWriter(HttpPipeline pipeline, Uri tableUri)
    {
        _pipeline = pipeline;
        var table = tableUri.AbsoluteUri.TrimEnd('/');
        var service = table[..table.LastIndexOf('/')];
        _batchUri = new Uri(service + "/$batch");
        const string format = "?$format=application%2Fjson%3Bodata%3Dminimalmetadata HTTP/1.1\r\n";
        var common = $"Host: {tableUri.Host}\r\nx-ms-version: {ServiceVersion}\r\nDataServiceVersion: 3.0\r\n";
        _addHead = Encoding.UTF8.GetBytes(
            "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
            $"POST {table}{format}{common}Prefer: return-no-content\r\nAccept: application/json;odata=minimalmetadata\r\n" +
            "Content-Type: application/json;odata=nometadata\r\n\r\n");
        _putHead = Encoding.UTF8.GetBytes(
            $"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nPUT {table}(PartitionKey='");
        _putTail = Encoding.UTF8.GetBytes($"'){format}{common}If-Match: ");
    }

    /// <summary>A writer for a table reached by connection string: Azurite locally (<c>UseDevelopmentStorage=true</c>
    /// or an explicit <c>AccountName</c>/<c>AccountKey</c>/<c>TableEndpoint</c>), signed with the account key.</summary>
    public static TableBatchWriter ForConnectionString(string connectionString, TableClient table, TableClientOptions options)
    {
        var key = AccountKey(connectionString)
            ?? throw new InvalidOperationException("The storage connection string has no AccountKey; usage writes need one (or TableServiceUri with an identity).");
        var policy = new SharedKeyLitePolicy(table.AccountName, Convert.FromBase64String(key));
        return new TableBatchWriter(HttpPipelineBuilder.Build(options, policy), table.Uri);
    }

    /// <summary>A writer for a table reached with an Entra ID credential (managed identity in Azure).</summary>
    public static TableBatchWriter ForCredential(TableClient table, TokenCredential credential, TableClientOptions options)
    {
        var policy = new BearerTokenAuthenticationPolicy(credential, "https://storage.azure.com/.default");
        return new TableBatchWriter(HttpPipelineBuilder.Build(options, policy), table.Uri);
    }

    private static string? AccountKey(string connectionString)
    {
        string? key = null;
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }
            var name = part[..eq].Trim();
            if (name.Equals("AccountKey", StringComparison.OrdinalIgnoreCase))
            {
                key = part[(eq + 1)..].Trim();
            }
            else if (name.Equals("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase)
                && part[(eq + 1)..].Trim().Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                key ??= DevelopmentAccountKey;
            }
        }
        return key;
    }

    /// <summary>
    /// Submits <paramref name="actions"/> as one atomic transaction and returns each sub-response's ETag, in order.
    /// </summary>
    /// <exception cref="TableBatchFailedException">The service refused the transaction (nothing was written).</exception>
    /// <exception cref="NotSupportedException">An action other than Add or UpdateReplace, or an unsupported property type.</exception>
    public async Task<ETag[]> SubmitAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        var scratch = _scratch.TryDequeue(out var s) ? s : new Scratch();
        try
        {
            var batch = Guid.NewGuid();
            var changeset = Guid.NewGuid();
            WriteBody(scratch, actions, batch, changeset);

            using var message = _pipeline.CreateMessage();
            // Read into a pooled buffer below rather than have the pipeline copy the reply into a MemoryStream.
            message.BufferResponse = false;
            var request = message.Request;
            request.Method = RequestMethod.Post;
            request.Uri.Reset(_batchUri);
            request.Headers.SetValue("x-ms-version", ServiceVersion);
            request.Headers.SetValue("DataServiceVersion", "3.0");
            request.Headers.SetValue("Accept", "application/json");
            request.Headers.SetValue("Content-Type", "multipart/mixed; boundary=batch_" + batch.ToString("D"));
            request.Content = RequestContent.Create(scratch.Body.WrittenMemory);

            await _pipeline.SendAsync(message, cancellationToken);
            var response = message.Response;
            await ReadAllAsync(response.ContentStream, scratch.Reply, cancellationToken);
            if (response.Status != 202)
            {
                response.Headers.TryGetValue("x-ms-error-code", out var code);
                throw new TableBatchFailedException(response.Status, code, failedActionIndex: null);
            }
            return ParseReply(scratch.Reply.WrittenSpan, actions.Count);
        }
        finally
        {
            scratch.Reset();
            _scratch.Enqueue(scratch);
        }
    }

    private static async Task ReadAllAsync(Stream? stream, PooledBufferWriter into, CancellationToken cancellationToken)
    {
        if (stream is null)
        {
            return;
        }
        int read;
        while ((read = await stream.ReadAsync(into.GetMemory(4096), cancellationToken)) > 0)
        {
            into.Advance(read);
        }
    }

    private void WriteBody(Scratch scratch, IReadOnlyList<TableTransactionAction> actions, Guid batch, Guid changeset)
    {
        var body = scratch.Body;
        Write(body, "--batch_"u8);
        WriteGuid(body, batch);
        Write(body, "\r\nContent-Type: multipart/mixed; boundary=changeset_"u8);
        WriteGuid(body, changeset);
        Write(body, "\r\n\r\n"u8);
        foreach (var action in actions)
        {
            Write(body, "--changeset_"u8);
            WriteGuid(body, changeset);
            Write(body, "\r\n"u8);
            switch (action.ActionType)
            {
                case TableTransactionActionType.Add:
                    Write(body, _addHead);
                    break;
                case TableTransactionActionType.UpdateReplace:
                    Write(body, _putHead);
                    WriteKey(body, action.Entity.PartitionKey);
                    Write(body, "',RowKey='"u8);
                    WriteKey(body, action.Entity.RowKey);
                    Write(body, _putTail);
                    WriteAscii(body, action.ETag.ToString());
                    Write(body, "\r\nAccept: application/json\r\nContent-Type: application/json\r\n\r\n"u8);
                    break;
                default:
                    throw new NotSupportedException($"Table transaction action {action.ActionType} is not supported here.");
            }
            WriteEntity(scratch, action.Entity);
            Write(body, "\r\n"u8);
        }
        Write(body, "--changeset_"u8);
        WriteGuid(body, changeset);
        Write(body, "--\r\n\r\n--batch_"u8);
        WriteGuid(body, batch);
        Write(body, "--\r\n"u8);
    }

    /// <summary>The entity's JSON as the SDK writes it: PartitionKey, RowKey and properties in the entity's order,
    /// without its ETag and Timestamp; Int64 as a string, doubles, dates (UTC, 7 fraction digits), GUIDs and binary
    /// with an <c>@odata.type</c> after the value; nulls written as null.</summary>
    private static void WriteEntity(Scratch scratch, ITableEntity entity)
    {
        if (entity is not IDictionary<string, object?> properties)
        {
            throw new NotSupportedException("Only dictionary entities (TableEntity) are supported here.");
        }
        var json = scratch.Json;
        json.Reset(scratch.Body);
        json.WriteStartObject();
        Span<byte> value = stackalloc byte[64];
        foreach (var (name, v) in properties)
        {
            if (name is "odata.etag" or "Timestamp")
            {
                continue;
            }
            string? edm = null;
            switch (v)
            {
                case null:
                    json.WriteNull(name);
                    break;
                case string text:
                    json.WriteString(name, text);
                    break;
                case int number:
                    json.WriteNumber(name, number);
                    break;
                case long number:
                    Utf8Formatter.TryFormat(number, value, out var written);
                    json.WriteString(name, value[..written]);
                    edm = "Edm.Int64";
                    break;
                case double number when double.IsFinite(number):
                    json.WriteNumber(name, number);
                    edm = "Edm.Double";
                    break;
                case double number:
                    json.WriteString(name, double.IsNaN(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity");
                    edm = "Edm.Double";
                    break;
                case bool flag:
                    json.WriteBoolean(name, flag);
                    break;
                case DateTimeOffset time:
                    time.UtcDateTime.TryFormat(value, out written, "O");
                    json.WriteString(name, value[..written]);
                    edm = "Edm.DateTime";
                    break;
                case DateTime time:
                    time.ToUniversalTime().TryFormat(value, out written, "O");
                    json.WriteString(name, value[..written]);
                    edm = "Edm.DateTime";
                    break;
                case Guid id:
                    id.TryFormat(value, out written, "D");
                    json.WriteString(name, value[..written]);
                    edm = "Edm.Guid";
                    break;
                default:
                    throw new NotSupportedException($"Property '{name}' has a type ({v.GetType().Name}) not supported here.");
            }
            if (edm is not null)
            {
                WriteAnnotation(json, name, edm);
            }
        }
        json.WriteEndObject();
        json.Flush();
    }

    private static void WriteAnnotation(Utf8JsonWriter json, string name, string edm)
    {
        // "{name}@odata.type" without building the string.
        var length = Encoding.UTF8.GetMaxByteCount(name.Length) + s_odataType.Length;
        var rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> buffer = rented ?? stackalloc byte[256];
        var n = Encoding.UTF8.GetBytes(name, buffer);
        s_odataType.CopyTo(buffer[n..]);
        json.WriteString(buffer[..(n + s_odataType.Length)], edm);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A key inside <c>(PartitionKey='…')</c>: quotes doubled (OData), then percent-encoded, as the SDK does.</summary>
    private static void WriteKey(PooledBufferWriter body, string key) =>
        WriteAscii(body, Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal)));

    private static void Write(PooledBufferWriter body, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(body.GetSpan(bytes.Length));
        body.Advance(bytes.Length);
    }

    private static void WriteAscii(PooledBufferWriter body, string text)
    {
        var n = Encoding.UTF8.GetBytes(text, body.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        body.Advance(n);
    }

    private static void WriteGuid(PooledBufferWriter body, Guid id)
    {
        id.TryFormat(body.GetSpan(36), out var n, "D");
        body.Advance(n);
    }

    /// <summary>
    /// Reads the multipart reply in place: each sub-response's status line and ETag header; a failed one's JSON error,
    /// whose message starts with <c>{index}:</c>, the index of the failed action (Azure answers a failed changeset
    /// with that one sub-response only).
    /// </summary>
    private static ETag[] ParseReply(ReadOnlySpan<byte> reply, int count)
    {
        var etags = new ETag[count];
        var index = 0;
        var status = 0;
        var inHeaders = false;
        while (!reply.IsEmpty)
        {
            var end = reply.IndexOf((byte)'\n');
            var line = end < 0 ? reply : reply[..end];
            reply = end < 0 ? default : reply[(end + 1)..];
            line = line.TrimEnd((byte)'\r');
            if (line.StartsWith("HTTP/1.1 "u8) && line.Length >= 12 && Utf8Parser.TryParse(line[9..12], out status, out _))
            {
                inHeaders = true;
            }
            else if (inHeaders && line.IsEmpty)
            {
                inHeaders = false;
                if (status is < 200 or >= 300)
                {
                    var bodyEnd = reply.IndexOf("\n--"u8);
                    throw Failure(status, bodyEnd < 0 ? reply : reply[..bodyEnd]);
                }
                index++;
            }
            else if (inHeaders && line.Length > 5 && Ascii.EqualsIgnoreCase(line[..5], "ETag:"u8) && index < count)
            {
                etags[index] = new ETag(Encoding.UTF8.GetString(line[5..].Trim((byte)' ')));
            }
        }
        if (index != count)
        {
            // Not a reply to this transaction; whether it committed is unknown, as after a lost connection.
            throw new TableBatchFailedException(0, "UnexpectedBatchReply", failedActionIndex: null);
        }
        return etags;
    }

    private static TableBatchFailedException Failure(int status, ReadOnlySpan<byte> json)
    {
        string? code = null;
        int? failed = null;
        try
        {
            var reader = new Utf8JsonReader(json.TrimEnd("\r\n"u8));
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }
                if (reader.ValueTextEquals("code"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    code = reader.GetString();
                }
                else if (reader.ValueTextEquals("value"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    var text = reader.ValueSpan;
                    var colon = text.IndexOf((byte)':');
                    if (colon > 0 && Utf8Parser.TryParse(text[..colon], out int i, out var used) && used == colon)
                    {
                        failed = i;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // A body that is not the OData error: the status alone still classifies the failure.
        }
        return new TableBatchFailedException(status, code, failed);
    }

    /// <summary>Per-call buffers, reused across calls; one per concurrent transaction.</summary>
    private sealed class Scratch
    {
        // At most 100 entities of a few hundred bytes each: the buffers stay well under a megabyte and are kept.
        public PooledBufferWriter Body { get; } = new(16 * 1024);
        public PooledBufferWriter Reply { get; } = new(16 * 1024);
        public Utf8JsonWriter Json { get; } = new(Stream.Null);

        public void Reset()
        {
            Body.Clear();
            Reply.Clear();
        }
    }
}

/// <summary>
/// The service refused a table transaction, so none of it was written. <see cref="RequestFailedException.Status"/> is
/// the failed sub-request's status (or the whole request's, then <see cref="FailedActionIndex"/> is null). The message
/// names the status and the service's error code only, never entity content.
/// </summary>
public sealed class TableBatchFailedException(int status, string? errorCode, int? failedActionIndex)
    : RequestFailedException(status,
        $"Table transaction failed with status {status} ({errorCode ?? "no error code"}){(failedActionIndex is { } i ? $" at action {i}" : "")}.",
        errorCode, null)
{
    public int? FailedActionIndex { get; } = failedActionIndex;
}
