using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Providers;

/// <summary>
/// A model that answers locally, so a fresh checkout serves completions with no provider key. The text is
/// deterministic (seeded by the request), the usage counts are real (the o200k tokenizer's), and streaming works
/// like OpenAI's, usage chunk included. It answers 32 words, or exactly <c>max_tokens</c> words (up to 16,384) when
/// the request sets it (then with <c>finish_reason: "length"</c>), which makes long streams easy to produce.
/// Embeddings are deterministic unit vectors seeded by each input (1536 dimensions, or <c>dimensions</c>), as floats or
/// base64 like OpenAI's, with real input token counts.
/// </summary>
public sealed class MockProvider(TokenEstimator tokens, TimeProvider time) : IChatProvider, INativeProvider
{
    private const int DefaultWords = 32;

    /// <summary>Longest answer, whatever <c>max_tokens</c> asks: a JSON answer is built whole, and two billion words
    /// would take the process down.</summary>
    private const int MaxWords = 16 * 1024;

    private static readonly string[] s_words =
    [
        " the", " gateway", " streams", " every", " token", " and", " keeps", " only", " what", " you", " allow",
        " river", " water", " flows", " through", " a", " gate", " that", " opens", " when", " asked", " quiet",
        " data", " stays", " in", " its", " region", " model", " answers", " with", " care", " today",
    ];

    private readonly Lazy<int[]> _wordTokens = new(() => [.. s_words.Select(tokens.Count)]);

    public string Name => "mock";

    public void Validate(ModelRoute route)
    {
    }

    public Task<UpstreamResponse> SendAsync(ChatRequest request, ModelRoute route, CancellationToken cancellationToken)
    {
        // Seeded by the messages alone, so the same conversation gets the same answer streamed or not.
        var seed = Fnv1a(JsonMarshal.GetRawUtf8Value(request.Messages));
        var answer = new Answer(
            Id: "chatcmpl-mock" + seed.ToString("x16"),
            Model: route.UpstreamModel,
            Created: time.GetUtcNow().ToUnixTimeSeconds(),
            Seed: seed,
            Words: Math.Min(request.MaxTokens ?? DefaultWords, MaxWords),
            Truncated: request.MaxTokens is not null,
            PromptTokens: tokens.CountPrompt(request));
        return Task.FromResult(request.Stream
            ? UpstreamResponse.ForEvents(new Events(answer, _wordTokens.Value))
            : Json(answer));
    }

    /// <summary>Dimensions of a mock embedding when the request names none (text-embedding-3-small's).</summary>
    public const int DefaultDimensions = 1536;

    /// <summary>Most dimensions a mock embedding has, whatever <c>dimensions</c> asks (text-embedding-3-large's).</summary>
    private const int MaxDimensions = 3072;

    public bool Serves(ModelRoute route, NativeOperation operation) => operation == NativeOperation.Embeddings;

    /// <summary>Answers an embeddings request locally, as OpenAI's API would.</summary>
    public Task<HttpResponseMessage> SendNativeAsync(NativeOperation operation, ModelRoute route, PooledBufferWriter body,
        Action<System.Net.Http.Headers.HttpRequestHeaders>? headers, CancellationToken cancellationToken)
    {
        if (operation != NativeOperation.Embeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(operation), operation, "The mock model answers embeddings only.");
        }
        using var request = JsonDocument.Parse(body.WrittenMemory);
        var root = request.RootElement;
        var dimensions = root.TryGetProperty("dimensions"u8, out var d) && d.ValueKind == JsonValueKind.Number ? Math.Min(d.GetInt32(), MaxDimensions) : DefaultDimensions;
        var base64 = root.TryGetProperty("encoding_format"u8, out var f) && f.ValueEquals("base64"u8);
        var input = root.GetProperty("input"u8);
        var items = input.ValueKind == JsonValueKind.Array && input.GetArrayLength() > 0 && input[0].ValueKind != JsonValueKind.Number
            ? input.EnumerateArray().ToList()
            : [input];

        var output = new ArrayBufferWriter<byte>(items.Count * dimensions * (base64 ? 6 : 12) + 256);
        var vector = new float[dimensions];
        var promptTokens = 0;
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                promptTokens += item.ValueKind == JsonValueKind.String ? tokens.Count(item.GetString()!) : item.GetArrayLength();
                FillVector(Fnv1a(JsonMarshal.GetRawUtf8Value(item)), vector);
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                if (base64)
                {
                    json.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
                }
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (var v in vector)
                    {
                        json.WriteNumberValue(v);
                    }
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("model", route.UpstreamModel);
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", promptTokens);
            json.WriteNumber("total_tokens", promptTokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        var content = new ByteArrayContent(output.WrittenMemory.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = content });
    }

    /// <summary>A unit vector from the seed: the same input always embeds the same way.</summary>
    private static void FillVector(ulong seed, Span<float> vector)
    {
        var rng = seed | 1;
        var norm = 0.0;
        for (var i = 0; i < vector.Length; i++)
        {
            NextWord(ref rng);
            vector[i] = (float)((rng >> 11) * (1.0 / (1UL << 53)) * 2 - 1);
            norm += vector[i] * vector[i];
        }
        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }
    }

    private UpstreamResponse Json(Answer answer)
    {
        var text = new System.Text.StringBuilder();
        var completionTokens = 0;
        var rng = answer.Seed | 1;
        for (var i = 0; i < answer.Words; i++)
        {
            var w = NextWord(ref rng);
            text.Append(s_words[w]);
            completionTokens += _wordTokens.Value[w];
        }
        var buffer = new ArrayBufferWriter<byte>(text.Length + 512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", answer.Id);
            json.WriteString("object", "chat.completion");
            json.WriteNumber("created", answer.Created);
            json.WriteString("model", answer.Model);
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", 0);
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            json.WriteString("content", text.ToString().TrimStart());
            json.WriteNull("refusal");
            json.WriteEndObject();
            json.WriteNull("logprobs");
            json.WriteString("finish_reason", answer.Truncated ? "length" : "stop");
            json.WriteEndObject();
            json.WriteEndArray();
            WriteUsage(json, answer.PromptTokens, completionTokens);
            json.WriteEndObject();
        }
        var bytes = buffer.WrittenMemory.ToArray();
        return UpstreamResponse.ForJson(new MemoryStream(bytes, writable: false), bytes.Length);
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }

    private static int NextWord(ref ulong state)
    {
        // xorshift64: cheap, deterministic, good enough to vary the text.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return (int)(state % (ulong)s_words.Length);
    }

    private static void WriteUsage(Utf8JsonWriter json, int prompt, int completion)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", prompt);
        json.WriteNumber("completion_tokens", completion);
        json.WriteNumber("total_tokens", prompt + completion);
        json.WriteEndObject();
    }

    private sealed record Answer(string Id, string Model, long Created, ulong Seed, int Words, bool Truncated, int PromptTokens);

    /// <summary>Generates the stream one chunk at a time into one reused buffer: memory stays flat however many
    /// words are asked for.</summary>
    private sealed class Events(Answer answer, int[] wordTokens) : IChatEventStream
    {
        private readonly PooledBufferWriter _buffer = new(512);
        private ulong _rng = answer.Seed | 1;
        private int _step = -1;
        private int _completionTokens;

        public ReadOnlyMemory<byte> Current => _buffer.WrittenMemory;

        public bool Completed { get; private set; }

        public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _step++;
            _buffer.Clear();
            // Steps: 0 = role, 1..Words = one word each, Words+1 = finish_reason, Words+2 = usage, then [DONE].
            if (_step > answer.Words + 2)
            {
                Completed = true;
                return ValueTask.FromResult(false);
            }
            using var json = new Utf8JsonWriter(_buffer);
            json.WriteStartObject();
            json.WriteString("id", answer.Id);
            json.WriteString("object", "chat.completion.chunk");
            json.WriteNumber("created", answer.Created);
            json.WriteString("model", answer.Model);
            json.WriteStartArray("choices");
            if (_step <= answer.Words + 1)
            {
                json.WriteStartObject();
                json.WriteNumber("index", 0);
                json.WriteStartObject("delta");
                if (_step == 0)
                {
                    json.WriteString("role", "assistant");
                    json.WriteString("content", "");
                }
                else if (_step <= answer.Words)
                {
                    var w = NextWord(ref _rng);
                    _completionTokens += wordTokens[w];
                    json.WriteString("content", _step == 1 ? s_words[w].TrimStart() : s_words[w]);
                }
                json.WriteEndObject();
                json.WriteNull("logprobs");
                if (_step == answer.Words + 1)
                {
                    json.WriteString("finish_reason", answer.Truncated ? "length" : "stop");
                }
                else
                {
                    json.WriteNull("finish_reason");
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (_step == answer.Words + 2)
            {
                WriteUsage(json, answer.PromptTokens, _completionTokens);
            }
            else
            {
                json.WriteNull("usage");
            }
            json.WriteEndObject();
            json.Flush();
            return ValueTask.FromResult(true);
        }

        public ValueTask DisposeAsync()
        {
            _buffer.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
