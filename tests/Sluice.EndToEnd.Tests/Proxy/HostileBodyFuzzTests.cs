using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Testing;
using Sluice.Testing.Upstreams;

namespace Sluice.EndToEnd.Tests.Proxy;

/// <summary>
/// A few hundred generated hostile bodies per run, seeded (set <c>SLUICE_FUZZ_SEED</c> to explore another run; a
/// failure names its seed and case), against the mock model and the OpenAI and Anthropic routes: none may get a 5xx,
/// every error is in OpenAI's shape, and each request has exactly one usage row in storage.
/// </summary>
public sealed class HostileBodyFuzzTests : IAsyncLifetime
{
    private const int Cases = 320;
    private const int Concurrency = 4;
    private static readonly string[] s_models = ["mock", "gpt-test", "claude-test"];

    private FakeOpenAIUpstream _openai = null!;
    private FakeAnthropicUpstream _anthropic = null!;
    private SluiceApplication _app = null!;

    public async Task InitializeAsync()
    {
        _openai = await FakeOpenAIUpstream.StartAsync();
        _anthropic = await FakeAnthropicUpstream.StartAsync();
        _app = await SluiceApplication.StartAsync(new RouteSettings()
            .Add("gpt-test", "openai", _openai.BaseUrl)
            .Add("claude-test", "anthropic", _anthropic.BaseUrl));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _anthropic.DisposeAsync();
        await _openai.DisposeAsync();
    }

    [Fact]
    public async Task HostileBodies_GetNo5xx_AnOpenAIShapedError_AndOneUsageRowEach()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SLUICE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261206;
        var (account, key) = await _app.CreateAccountAsync("fuzz");
        using var client = _app.CreateHttpClient(key);
        client.Timeout = TimeSpan.FromSeconds(60);
        var random = new Random(seed);
        var cases = Enumerable.Range(0, Cases).Select(i => HostileBody.Generate(random, i)).ToList();
        var requestIds = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();

        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (c, cancellationToken) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = c.Content() };
            HttpResponseMessage response;
            string body;
            try
            {
                response = await client.SendAsync(request, cancellationToken);
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                failures.Add($"{c}: no answer ({e.GetType().Name})");
                return;
            }
            using var _ = response;
            var status = (int)response.StatusCode;
            if (response.Headers.TryGetValues("x-request-id", out var ids))
            {
                requestIds.Add(ids.Single());
            }
            else
            {
                failures.Add($"{c}: no x-request-id");
            }
            if (status >= 500)
            {
                failures.Add($"{c}: HTTP {status} {Prefix(body)}");
            }
            else if (status >= 400 && !IsOpenAIError(body))
            {
                failures.Add($"{c}: HTTP {status} not in OpenAI's error shape: {Prefix(body)}");
            }
        });

        Assert.True(failures.IsEmpty, $"Seed {seed}:\n" + string.Join("\n", failures.OrderBy(f => f, StringComparer.Ordinal)));
        var rows = await UsageRows.ForAccountAsync(_app, account.Id, Cases);
        var rowIds = rows.Select(r => r.GetString("RequestId")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(requestIds.Order(StringComparer.Ordinal).ToList(), rowIds);
        Assert.DoesNotContain(_app.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
    }

    private static bool IsOpenAIError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error", out var error)
                && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                && error.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Prefix(string body) => body.Length <= 300 ? body : body[..300] + "…";

    /// <summary>One generated request: its body bytes, how it is sent, and what it was made to test.</summary>
    private sealed record HostileBody(int Index, string Kind, byte[] Bytes, string? ContentType, bool Chunked)
    {
        public override string ToString() => $"case {Index} ({Kind}, {Bytes.Length} bytes{(Chunked ? ", chunked" : "")}, {ContentType ?? "no content type"})";

        public HttpContent Content()
        {
            var content = Chunked ? ChunkedBody.Of(Bytes, contentType: null) : new ByteArrayContent(Bytes);
            if (ContentType is not null)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
            return content;
        }

        private static readonly string[] s_fields =
        [
            "model", "messages", "stream", "stream_options", "store", "max_tokens", "max_completion_tokens", "temperature",
            "top_p", "n", "stop", "tools", "tool_choice", "user", "response_format", "seed", "logit_bias", "metadata",
        ];

        private static readonly string[] s_contentTypes =
        [
            "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/octet-stream", "",
        ];

        public static HostileBody Generate(Random random, int index)
        {
            var model = s_models[random.Next(s_models.Length)];
            var kind = random.Next(16);
            var (name, bytes) = kind switch
            {
                0 => ("invalid UTF-8", InvalidUtf8(random, model)),
                1 => ("lone surrogate", Utf8(Valid(model, content: Pick(random, @"\ud800", @"x\udbff", @"\udc00y", @"\ud83d\ud83d", @"a\ude00b"), random: random))),
                2 => ("deep nesting", Utf8(Nested(random, model))),
                3 => ("huge number", Utf8(Valid(model, random: random, extra: $",\"{Pick(random, "max_tokens", "max_completion_tokens", "n", "temperature", "top_p", "seed")}\":{Pick(random, "1e400", "-1e400", "99999999999999999999999", "2147483648", "-1", "0", "1.5", "2000000000", "-0", "1E+2")}"))),
                4 => ("wrong type", Utf8(WrongType(random, model))),
                5 => ("duplicate keys", Utf8(Pick(random,
                    $$"""{"model":"{{model}}","model":"other","messages":[{"role":"user","content":"x"}]}""",
                    $$"""{"model":"{{model}}","messages":[{"role":"user","role":"robot","content":"x","content":5}]}""",
                    $$"""{"model":"{{model}}","messages":[{"role":"user","content":"x"}],"messages":"again","stream":true,"stream":false}"""))),
                6 => ("truncated", Truncated(random, model)),
                7 => ("huge string", Utf8(HugeString(random, model))),
                8 => ("NUL bytes", NulBytes(random, model)),
                9 => ("not JSON", NotJson(random)),
                10 => ("not an object", Utf8(Pick(random, "[]", "\"chat\"", "42", "null", "true", "[{\"model\":\"mock\"}]", " ", "\uFEFF{}"))),
                11 => ("odd content parts", Utf8(Valid(model, contentJson: Pick(random,
                    """[{"type":"text"}]""", """[{"type":"text","text":5}]""", """[{"type":"image_url","image_url":"x"}]""",
                    """[{"type":"image_url","image_url":{"url":"data:image/png;base64,%%%"}}]""", """[{"type":"input_audio","input_audio":{}}]""",
                    """[{"type":"text","text":"a"},null]""", """[[{"type":"text","text":"a"}]]""", """[]"""), random: random))),
                12 => ("odd tool calls", Utf8($$"""{"model":"{{model}}","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":{{Pick(random,
                    "5", "[5]", "[{}]", """[{"id":"c","type":"function","function":{"name":5,"arguments":"{"}}]""",
                    """[{"id":"c","type":"function","function":{"name":"f","arguments":{"a":1}}}]""")}}},{"role":"tool","tool_call_id":{{Pick(random, "5", "null", "\"c\"", "{}")}},"content":"r"}],"tools":{{Pick(random,
                    "[]", "[{}]", """[{"type":"function"}]""", """[{"type":"function","function":{"name":"f","parameters":"x"}}]""", """[{"type":"retrieval"}]""")}}}""")),
                13 => ("odd unicode", Utf8(Valid(model, content: Pick(random, "\u202e\u200b\uFEFF", "𝕳𝖊𝖑𝖑𝖔 😀", new string('\u0301', 5000), "\u0000", "\\u0000\\u001f", "\\\\ud800"), random: random))),
                14 => ("stream with odd options", Utf8(Valid(model, random: random, extra: $",\"stream\":true,\"stream_options\":{Pick(random, "null", "{}", "{\"include_usage\":\"yes\"}", "{\"include_usage\":true}", "[]", "5")}"))),
                _ => ("valid", Utf8(Valid(model, random: random))),
            };
            var contentType = random.Next(4) == 0 ? s_contentTypes[random.Next(s_contentTypes.Length)] : "application/json";
            return new HostileBody(index, $"{name} → {model}", bytes, contentType.Length == 0 ? null : contentType, Chunked: random.Next(5) == 0);
        }

        private static string Pick(Random random, params string[] choices) => choices[random.Next(choices.Length)];

        private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        private static string Valid(string model, string? content = null, string? contentJson = null, string extra = "", Random? random = null)
        {
            var stream = random?.Next(3) == 0 ? ",\"stream\":true" : "";
            contentJson ??= "\"" + (content ?? "Say something.") + "\"";
            return $$"""{"model":"{{model}}","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":{{contentJson}}}]{{stream}}{{extra}}}""";
        }

        private static byte[] InvalidUtf8(Random random, string model)
        {
            byte[][] sequences = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80]];
            var bad = sequences[random.Next(sequences.Length)];
            var where = random.Next(4);
            var json = where switch
            {
                0 => $$"""{"model":"{{model}}@@","messages":[{"role":"user","content":"x"}]}""",
                1 => $$"""{"model":"{{model}}","messages":[{"role":"us@@er","content":"x"}]}""",
                2 => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hello @@ world"}]}""",
                _ => $$$"""{"model":"{{{model}}}","messages":[{"role":"user","content":"x"}],"user":"@@","metadata":{"k@@":"v"}}""",
            };
            var template = Encoding.UTF8.GetBytes(json);
            var at = template.AsSpan().IndexOf("@@"u8);
            return [.. template.AsSpan(0, at), .. bad, .. template.AsSpan(at + 2)];
        }

        private static string Nested(Random random, string model)
        {
            var depth = Pick(random, "10", "63", "64", "65", "200", "5000") is var d ? int.Parse(d, CultureInfo.InvariantCulture) : 0;
            var value = new string('[', depth) + "1" + new string(']', depth);
            return random.Next(2) == 0
                ? Valid(model, extra: $",\"metadata\":{value}", random: random)
                : Valid(model, contentJson: value, random: random);
        }

        private static string WrongType(Random random, string model)
        {
            string[] values = ["null", "true", "false", "0", "-1.5e10", "\"s\"", "\"\"", "[]", "{}", "[1,\"x\",null]", "{\"a\":{\"b\":[]}}"];
            var value = values[random.Next(values.Length)];
            var field = s_fields[random.Next(s_fields.Length)];
            return random.Next(3) switch
            {
                0 when field == "model" => $$"""{"model":{{value}},"messages":[{"role":"user","content":"x"}]}""",
                0 when field == "messages" => $$"""{"model":"{{model}}","messages":{{value}}}""",
                0 => $$$"""{"model":"{{{model}}}","messages":[{"role":"user","content":"x"}],"{{{field}}}":{{{value}}}}""",
                1 => $$"""{"model":"{{model}}","messages":[{"role":{{value}},"content":"x"}]}""",
                _ => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"x","name":{{value}}},{{value}}]}""",
            };
        }

        private static byte[] Truncated(Random random, string model)
        {
            var full = Utf8(Valid(model, content: "a prompt that is cut somewhere", random: random, extra: ",\"temperature\":0.5,\"stop\":[\"x\"]"));
            return full[..random.Next(1, full.Length)];
        }

        private static string HugeString(Random random, string model) => random.Next(4) switch
        {
            0 => Valid(new string('m', random.Next(257, 200_000)), random: random),
            1 => Valid(model, content: new string(Pick(random, "a", "中", " ", "!")[0], random.Next(100_000, 2_000_000)), random: random),
            2 => $$"""{"model":"{{model}}","messages":[{"role":"{{new string('r', 1_000_000)}}","content":"x"}]}""",
            _ => Valid(model, random: random, extra: $",\"user\":\"{new string('u', 1_000_000)}\",\"metadata\":{{\"{new string('k', 100_000)}\":1}}"),
        };

        private static byte[] NulBytes(Random random, string model)
        {
            var json = Utf8(Valid(model, content: "before@@after", random: random));
            var at = json.AsSpan().IndexOf("@@"u8);
            byte[] nul = random.Next(2) == 0 ? [0] : [0, 0, 0, 0];
            return [.. json.AsSpan(0, at), .. nul, .. json.AsSpan(at + 2)];
        }

        private static byte[] NotJson(Random random)
        {
            switch (random.Next(4))
            {
                case 0:
                    var bytes = new byte[random.Next(1, 4096)];
                    random.NextBytes(bytes);
                    return bytes;
                case 1:
                    return Utf8("model=mock&messages=hi");
                case 2:
                    return [];
                default:
                    return Utf8("{\"model\":\"mock\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}garbage");
            }
        }
    }
}
