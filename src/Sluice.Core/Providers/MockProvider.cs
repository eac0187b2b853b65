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
/// </summary>
public sealed class MockProvider(TokenEstimator tokens, TimeProvider time) : IChatProvider
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
