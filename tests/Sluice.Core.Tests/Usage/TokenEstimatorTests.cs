using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Sluice.Testing;
using Sluice.Usage;
using Sluice.Wire;

namespace Sluice.Core.Tests.Usage;

/// <summary>
/// The estimator counts what it counts exactly with the o200k tokenizer, but bounds the work: no byte-pair merge ever
/// sees more than <see cref="TokenEstimator.MaxPieceChars"/> characters (merging is quadratic in a piece's length),
/// and no count tokenizes more than <see cref="TokenEstimator.ExactBudget"/> characters; past that it extrapolates.
/// </summary>
public sealed class TokenEstimatorTests
{
    private static readonly Lazy<Tokenizer> s_o200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    /// <summary>Allowed error of an estimate on ordinary text, against the tokenizer's exact count.</summary>
    private const double OrdinaryTextError = 0.05;

    private static (TokenEstimator Estimator, WorkLog Work) Estimator()
    {
        var work = new WorkLog(s_o200k.Value);
        return (new TokenEstimator(() => work), work);
    }

    private static int Exact(string text) => s_o200k.Value.CountTokens(text);

    [Theory]
    [InlineData(200)]
    [InlineData(20_000)]
    public void OrdinaryText_UnderTheBudget_IsCountedExactly(int length)
    {
        var (estimator, _) = Estimator();
        foreach (var text in new[] { OrdinaryText.Prose(length, seed: 1), OrdinaryText.Code(length, seed: 2) })
        {
            Assert.Equal(Exact(text), estimator.Count(text));
        }
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void OrdinaryText_OverTheBudget_IsEstimatedWithinTheStatedError(int length)
    {
        var (estimator, work) = Estimator();
        foreach (var text in new[] { OrdinaryText.Prose(length, seed: 3), OrdinaryText.Code(length, seed: 4) })
        {
            var exact = Exact(text);
            var estimate = estimator.Count(text);
            Assert.InRange(estimate, exact * (1 - OrdinaryTextError), exact * (1 + OrdinaryTextError));
        }
        Assert.InRange(work.TotalChars, 1, 2 * TokenEstimator.ExactBudget);
    }

    /// <summary>Inputs that made byte-pair merging quadratic: one pre-token as long as the prompt.</summary>
    public static TheoryData<string, Func<int, string>> Pathological => new()
    {
        { "one letter repeated", n => new string('a', n) },
        { "one CJK character repeated", n => new string('中', n) },
        { "spaces", n => new string(' ', n) },
        { "punctuation", n => new string('!', n) },
        { "one long random word", n => RandomWord(n, seed: 5) },
        { "random code points", n => RandomText(n, seed: 6) },
    };

    [Theory]
    [MemberData(nameof(Pathological))]
    public void PathologicalText_NeverReachesTheTokenizerInLongPieces_NorPastTheBudget(string what, Func<int, string> make)
    {
        var (estimator, work) = Estimator();

        var count = estimator.Count(make(128_000));

        Assert.True(count > 0, what);
        Assert.InRange(work.LongestPiece, 1, TokenEstimator.MaxPieceChars);
        Assert.InRange(work.TotalChars, 1, TokenEstimator.ExactBudget);
    }

    [Theory]
    [MemberData(nameof(Pathological))]
    public void PathologicalText_IsEstimatedMonotonically_AndWithinTheBoundsOfItsLength(string what, Func<int, string> make)
    {
        var (estimator, _) = Estimator();
        var previous = 0;
        foreach (var n in new[] { 1_000, 10_000, 60_000, 70_000, 200_000, 1_000_000 })
        {
            var text = make(n);
            var count = estimator.Count(text);
            Assert.True(count >= previous, $"{what}: {n} characters counted {count}, fewer than {previous} for a shorter text");
            // At least one token per piece the tokenizer sees, at most one per UTF-8 byte.
            Assert.InRange(count, n / TokenEstimator.MaxPieceChars, Encoding.UTF8.GetByteCount(text));
            previous = count;
        }
    }

    [Fact]
    public void OneRepeatedLetter_IsEstimatedAsTheTokenizerCountsIt_AtAnyLength()
    {
        var (estimator, _) = Estimator();
        foreach (var n in new[] { 8_000, 128_000, 4_000_000 })
        {
            // o200k merges a run of 'a' into tokens of eight: the pieces and the extrapolation keep that.
            Assert.InRange(estimator.Count(new string('a', n)), n / 8 * 0.99, n / 8 * 1.01);
        }
    }

    [Fact]
    public void ATextCannotSteerItsEstimate_WithWhatItPutsFirst()
    {
        var (estimator, _) = Estimator();
        var prose = OrdinaryText.Prose(60_000, seed: 8);
        var text = prose + new string('a', 2_000_000);

        var exact = Exact(prose) + 2_000_000 / 8;

        Assert.InRange(estimator.Count(text), exact * 0.9, exact * 1.1);
    }

    [Fact]
    public void APromptOfSixteenMegabytes_IsCountedWithinTheBudget_AndCloseToItsExactCount()
    {
        var (estimator, work) = Estimator();
        var content = OrdinaryText.Prose(16 * 1024 * 1024, seed: 7);
        using var request = Parse($$"""{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":{{JsonSerializer.Serialize(content)}}}]}""");

        var estimate = estimator.CountPrompt(request);

        Assert.InRange(work.TotalChars, 1, TokenEstimator.ExactBudget);
        var exact = Exact(content[..1_000_000]) * (content.Length / 1_000_000.0);
        Assert.InRange(estimate, exact * (1 - OrdinaryTextError), exact * (1 + OrdinaryTextError));
    }

    [Fact]
    public void AnEscapedPromptOverTheBudget_IsEstimatedFromItsText_NotItsEscapes()
    {
        // Python's json.dumps writes every non-ASCII character as a \u escape, six bytes of JSON for one character.
        var (estimator, _) = Estimator();
        var text = string.Concat(Enumerable.Repeat("Le café est très bon ce matin. 我们今天去公园散步。\n", 8_000));
        var json = JsonSerializer.Serialize(text);
        Assert.Contains("\\u00e9", json, StringComparison.OrdinalIgnoreCase);
        using var request = Parse($$"""{"model":"m","messages":[{"role":"user","content":{{json}}}]}""");

        var estimate = estimator.CountPrompt(request) - 3 - 3 - Exact("user");

        var exact = Exact(text);
        Assert.InRange(estimate, exact * (1 - OrdinaryTextError), exact * (1 + OrdinaryTextError));
    }

    [Fact]
    public void APrompt_IsCountedAsOpenAICountsChatInput_ExactlyUnderTheBudget()
    {
        var (estimator, _) = Estimator();
        using var request = Parse("""{"model":"m","messages":[{"role":"system","content":"You are terse."},{"role":"user","name":"ann","content":[{"type":"text","text":"Hello there, \"friend\"\n"},{"type":"image_url","image_url":{"url":"https://x"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f"}}]}""");

        var expected = 3
            + 3 + Exact("system") + Exact("You are terse.")
            + 3 + Exact("user") + Exact("ann") + Exact("Hello there, \"friend\"\n") + 85
            + 3 + Exact("assistant") + Exact("""[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]""")
            + Exact("""[{"type":"function","function":{"name":"f"}}]""");
        Assert.Equal(expected, estimator.CountPrompt(request));
    }

    private static ChatRequest Parse(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var rented = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented, 0);
        Assert.True(ChatRequest.TryParse(rented, bytes.Length, out var request, out var error), error?.Message);
        return request!;
    }

    private static string RandomWord(int length, int seed)
    {
        var random = new Random(seed);
        return string.Create(length, random, static (chars, r) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)('a' + r.Next(26));
            }
        });
    }

    /// <summary>Random BMP code points, surrogates excepted: random bytes as a client can send them (valid UTF-8).</summary>
    private static string RandomText(int length, int seed)
    {
        var random = new Random(seed);
        return string.Create(length, random, static (chars, r) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                int c;
                do
                {
                    c = r.Next(0x20, 0xFFFE);
                }
                while (c is >= 0xD800 and <= 0xDFFF);
                chars[i] = (char)c;
            }
        });
    }

    /// <summary>The real tokenizer, recording how much text each count hands it.</summary>
    private sealed class WorkLog(Tokenizer inner) : Tokenizer
    {
        public long TotalChars { get; private set; }

        public int LongestPiece { get; private set; }

        public override PreTokenizer? PreTokenizer => inner.PreTokenizer;

        public override Normalizer? Normalizer => inner.Normalizer;

        protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
        {
            var span = text is null ? textSpan : text.AsSpan();
            TotalChars += span.Length;
            LongestPiece = Math.Max(LongestPiece, span.Length);
            return inner.CountTokens(span, settings.ConsiderPreTokenization, settings.ConsiderNormalization);
        }

        protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings) =>
            throw new NotSupportedException("The estimator only counts.");

        public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten) =>
            inner.Decode(ids, destination, out idsConsumed, out charsWritten);
    }
}
