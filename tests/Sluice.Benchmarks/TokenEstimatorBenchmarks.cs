using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.ML.Tokenizers;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Benchmarks;

/// <summary>
/// Estimating a prompt's tokens (what the gateway does when an upstream reports no usage, and for every 499 and the
/// mock model): pathological prompts against ordinary text of the same size, per size. Each prompt is one user
/// message in a parsed request, counted with <see cref="TokenEstimator.CountPrompt"/>. The "before" category runs the
/// tokenizer on the whole text, as the estimator did, at a size where that still finishes.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class TokenEstimatorBenchmarks
{
    private readonly TokenEstimator _estimator = new();
    private readonly Tokenizer _o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
    private readonly Dictionary<string, ChatRequest> _prompts = [];
    private readonly Dictionary<string, string> _before = [];

    /// <summary>Characters of the prompt's text (UTF-16 code units).</summary>
    [Params(64 * 1024, 1024 * 1024, 16 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        foreach (var (name, text) in Texts(Size))
        {
            _prompts[name] = Prompt(text);
        }
        foreach (var (name, text) in Texts(16 * 1024))
        {
            _before[name] = text;
        }
        _estimator.Count("warm");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var request in _prompts.Values)
        {
            request.Dispose();
        }
    }

    [Benchmark(Baseline = true, Description = "ordinary prose")]
    [BenchmarkCategory("after")]
    public int Ordinary() => _estimator.CountPrompt(_prompts["prose"]);

    [Benchmark(Description = "ordinary code")]
    [BenchmarkCategory("after")]
    public int Code() => _estimator.CountPrompt(_prompts["code"]);

    [Benchmark(Description = "one character repeated")]
    [BenchmarkCategory("after")]
    public int OneCharacter() => _estimator.CountPrompt(_prompts["a"]);

    [Benchmark(Description = "one CJK character repeated")]
    [BenchmarkCategory("after")]
    public int OneCjkCharacter() => _estimator.CountPrompt(_prompts["cjk"]);

    [Benchmark(Description = "one long word")]
    [BenchmarkCategory("after")]
    public int OneWord() => _estimator.CountPrompt(_prompts["word"]);

    [Benchmark(Description = "random bytes (as UTF-8)")]
    [BenchmarkCategory("after")]
    public int RandomBytes() => _estimator.CountPrompt(_prompts["bytes"]);

    [Benchmark(Baseline = true, Description = "before: ordinary prose, 16K chars, whole text")]
    [BenchmarkCategory("before")]
    public int BeforeOrdinary() => _o200k.CountTokens(_before["prose"]);

    [Benchmark(Description = "before: one character repeated, 16K chars, whole text")]
    [BenchmarkCategory("before")]
    public int BeforeOneCharacter() => _o200k.CountTokens(_before["a"]);

    [Benchmark(Description = "before: one CJK character repeated, 16K chars, whole text")]
    [BenchmarkCategory("before")]
    public int BeforeOneCjkCharacter() => _o200k.CountTokens(_before["cjk"]);

    private static IEnumerable<(string Name, string Text)> Texts(int size)
    {
        yield return ("prose", OrdinaryText.Prose(size, seed: 1));
        yield return ("code", OrdinaryText.Code(size, seed: 2));
        yield return ("a", new string('a', size));
        yield return ("cjk", new string('中', size));
        var random = new Random(3);
        yield return ("word", string.Create(size, random, static (chars, r) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)('a' + r.Next(26));
            }
        }));
        var bytes = new byte[size];
        random.NextBytes(bytes);
        yield return ("bytes", Encoding.UTF8.GetString(bytes)[..Math.Min(size, Encoding.UTF8.GetCharCount(bytes))]);
    }

    private static ChatRequest Prompt(string text)
    {
        var json = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""");
        var rented = ArrayPool<byte>.Shared.Rent(json.Length);
        json.CopyTo(rented, 0);
        if (!ChatRequest.TryParse(rented, json.Length, out var request, out var error))
        {
            throw new InvalidOperationException(error!.Message);
        }
        return request!;
    }
}
