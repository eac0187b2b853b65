using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Sluice.Wire;

namespace Sluice.Usage;

/// <summary>
/// Counts tokens with a real tokenizer (o200k_base, the GPT-4o family's) when an upstream gives no usage: a stream
/// cut off by the client, or a provider that does not report it. Rows metered this way are marked
/// <c>usage_estimated</c>. The tokenizer's vocabulary loads once, on first use.
/// </summary>
/// <remarks>
/// The work is linear in the input and bounded per count, whatever a client sends. Byte-pair merging is quadratic in
/// the length of one pre-token, and a pre-token can be a whole prompt (128,000 copies of one letter are one: 17.5 s
/// of CPU), so no piece longer than <see cref="MaxPieceChars"/> reaches it; a longer pre-token is counted in pieces,
/// which changes a count by at most a token per piece. And no count spends more than <see cref="ExactBudget"/> on
/// exact tokenizing: a longer text is sampled in evenly spaced windows, and the rest of each window extrapolated at
/// the tokens per UTF-8 byte of what was counted in it. Ordinary text under the budget is counted exactly; over it,
/// within a few percent (tests/Sluice.Core.Tests/Usage/TokenEstimatorTests.cs states the bound, 5%).
/// </remarks>
public sealed class TokenEstimator
{
    /// <summary>Work spent tokenizing exactly per count (a prompt, or a completion's sample), in UTF-8 bytes of
    /// ordinary text: 64 KiB, more than most prompts hold, a few milliseconds of CPU. Long pre-tokens cost more per
    /// byte (see <c>CountExactly</c>), so the budget covers less of such text.</summary>
    public const int ExactBudget = 64 * 1024;

    /// <summary>Longest piece of text one byte-pair merge sees.</summary>
    public const int MaxPieceChars = 128;

    /// <summary>Windows sampled from a text longer than the budget left.</summary>
    private const int Windows = 8;

    /// <summary>Characters the pre-tokenizer is given at a time.</summary>
    private const int SliceChars = 512;

    private readonly Lazy<Tokenizer> _tokenizer;

    public TokenEstimator()
        : this(() => TiktokenTokenizer.CreateForEncoding("o200k_base"))
    {
    }

    /// <summary>With another tokenizer (tests watch what the estimator hands it).</summary>
    internal TokenEstimator(Func<Tokenizer> tokenizer) => _tokenizer = new(tokenizer);

    public int Count(string text)
    {
        var tally = new Tally(_tokenizer.Value);
        tally.AddText(text);
        return tally.Total;
    }

    /// <summary>Prompt tokens the way OpenAI counts chat input: each message's role, name and text, plus a few
    /// tokens of framing per message and for the reply's priming.</summary>
    public int CountPrompt(ChatRequest request)
    {
        var tally = new Tally(_tokenizer.Value);
        tally.AddFixed(3);
        foreach (var message in request.Messages.EnumerateArray())
        {
            tally.AddFixed(3);
            foreach (var property in message.EnumerateObject())
            {
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        tally.AddString(property.Value);
                        break;
                    case JsonValueKind.Array when property.NameEquals("content"u8):
                        AddParts(ref tally, property.Value);
                        break;
                    case JsonValueKind.Array or JsonValueKind.Object:
                        tally.AddUtf8(JsonMarshal.GetRawUtf8Value(property.Value));
                        break;
                }
            }
        }
        if (request.Root.TryGetProperty("tools"u8, out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            tally.AddUtf8(JsonMarshal.GetRawUtf8Value(tools));
        }
        return tally.Total;
    }

    private static void AddParts(ref Tally tally, JsonElement parts)
    {
        foreach (var part in parts.EnumerateArray())
        {
            if (part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
            {
                tally.AddString(text);
            }
            else
            {
                // Images and audio: OpenAI bills them by size and detail; a flat figure marks them without guessing.
                tally.AddFixed(85);
            }
        }
    }

    /// <summary>Completion tokens of a stream from its sampled text, extrapolated over the chunks not sampled.</summary>
    public int CountCompletion(ChunkInspector inspector)
    {
        var sampled = Count(inspector.Sample);
        if (inspector.SampledChunks == 0 || inspector.ContentChunks <= inspector.SampledChunks)
        {
            return sampled;
        }
        return (int)Math.Ceiling(sampled * (double)inspector.ContentChunks / inspector.SampledChunks);
    }

    /// <summary>Completion tokens of a non-streamed body from what the scanner kept of it.</summary>
    public int CountCompletion(JsonUsageScanner scanner)
    {
        if (scanner.SampleIsWhole)
        {
            var inspector = new ChunkInspector(int.MaxValue);
            inspector.Inspect(scanner.Sample);
            return Count(inspector.Sample);
        }
        // Too long to have kept whole: about four bytes of JSON-escaped text per token.
        return (int)(scanner.Length / 4);
    }

    /// <summary>One count: what was tokenized exactly, and the UTF-8 bytes left over for extrapolation.</summary>
    private struct Tally(Tokenizer tokenizer)
    {
        private int _budget = ExactBudget;
        private long _fixed;
        private long _exactTokens;
        private long _exactBytes;
        private double _extrapolated;
        private long _restBytes;

        public readonly int Total
        {
            get
            {
                // Text no window sampled goes at the rate of all that was counted; with nothing counted, four bytes a
                // token (o200k's rate for English).
                var rest = _exactBytes == 0 ? _restBytes / 4.0 : _restBytes * (double)_exactTokens / _exactBytes;
                return (int)Math.Min(int.MaxValue, _fixed + _exactTokens + (long)Math.Ceiling(_extrapolated + rest));
            }
        }

        public void AddFixed(int tokens) => _fixed += tokens;

        public void AddText(ReadOnlySpan<char> text)
        {
            if (text.Length <= _budget)
            {
                AddWindow(text, _budget);
                return;
            }
            // Longer than what is left: evenly spaced windows, so a text cannot steer its estimate with what it puts
            // first, and the rest at their rate.
            var share = _budget / Windows;
            for (var i = 0; i < Windows; i++)
            {
                var start = Boundary(text, (int)((long)text.Length * i / Windows));
                var end = Boundary(text, (int)((long)text.Length * (i + 1) / Windows));
                AddWindow(text[start..end], share);
            }
        }

        /// <summary>A JSON string. Unescaped when it fits the budget (its text is what is billed); past the budget its
        /// raw UTF-8 is sampled instead, so a 16 MB string is never decoded whole.</summary>
        public void AddString(JsonElement value)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
            var escaped = raw.Contains((byte)'\\');
            if (escaped && raw.Length <= _budget)
            {
                AddText(value.GetString());
                return;
            }
            AddUtf8(raw, escaped);
        }

        /// <summary>UTF-8 text (raw JSON, or a JSON string's content, unescaped window by window when it has
        /// escapes): decoded a window at a time, as much as the budget will count.</summary>
        public void AddUtf8(ReadOnlySpan<byte> utf8, bool escaped = false)
        {
            // A character takes at least one byte, so a window of the budget's bytes holds no more than its characters.
            var windows = utf8.Length <= _budget ? 1 : Windows;
            var share = _budget / windows;
            var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, Math.Min(utf8.Length, share)));
            try
            {
                for (var i = 0; i < windows; i++)
                {
                    var start = Boundary(utf8, (int)((long)utf8.Length * i / windows));
                    var end = Boundary(utf8, (int)((long)utf8.Length * (i + 1) / windows));
                    var decodedEnd = Boundary(utf8, Math.Min(end, start + share));
                    var window = utf8[start..decodedEnd];
                    var decoded = escaped ? Unescape(window, chars) : Encoding.UTF8.GetChars(window, chars);
                    var (counted, tokens) = CountExactly(chars.AsSpan(0, decoded), share);
                    // Escapes make bytes and characters differ by more than UTF-8 does: their share is proportional.
                    var countedBytes = escaped
                        ? (long)window.Length * counted / Math.Max(1, decoded)
                        : Encoding.UTF8.GetByteCount(chars.AsSpan(0, counted));
                    Extrapolate(tokens, countedBytes, end - start);
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }

        private void AddWindow(ReadOnlySpan<char> text, int work)
        {
            var (counted, tokens) = CountExactly(text, work);
            var countedBytes = Encoding.UTF8.GetByteCount(text[..counted]);
            Extrapolate(tokens, countedBytes, countedBytes + Encoding.UTF8.GetByteCount(text[counted..]));
        }

        /// <summary>A window's uncounted bytes go at the window's own rate, so one kind of text at the front cannot set
        /// the rate of a different kind behind it.</summary>
        private void Extrapolate(long tokens, long countedBytes, long windowBytes)
        {
            _exactTokens += tokens;
            _exactBytes += countedBytes;
            if (countedBytes == 0)
            {
                _restBytes += windowBytes;
            }
            else
            {
                _extrapolated += (windowBytes - countedBytes) * (double)tokens / countedBytes;
            }
        }

        /// <summary>
        /// Counts pre-tokens of <paramref name="text"/> until <paramref name="work"/> is spent; returns the characters
        /// counted and their tokens. A piece of n UTF-8 bytes costs n, or n²/8 past 16 (byte-pair merging is quadratic
        /// in bytes, and the tokenizer caches no pre-token that long), so text of long runs is sampled less, not paid
        /// more. The pre-tokenizer gets the text a slice at a time, so it never scans far past what is counted (one
        /// run of a million CJK characters is one match); slices end where no pre-token is cut when they can.
        /// </summary>
        private (int Chars, long Tokens) CountExactly(ReadOnlySpan<char> text, int work)
        {
            var counted = 0;
            var tokens = 0L;
            while (counted < text.Length)
            {
                var slice = Slice(text[counted..]);
                foreach (var (offset, length) in tokenizer.PreTokenizer!.PreTokenize(slice))
                {
                    var piece = slice.Slice(offset, length);
                    while (piece.Length > 0)
                    {
                        var (size, cost) = Fit(piece, work);
                        if (size == 0)
                        {
                            return (counted + offset + length - piece.Length, tokens);
                        }
                        work -= cost;
                        _budget -= cost;
                        tokens += tokenizer.CountTokens(piece[..size], considerPreTokenization: false);
                        piece = piece[size..];
                    }
                }
                counted += slice.Length;
            }
            return (counted, tokens);
        }

        /// <summary>The longest start of <paramref name="piece"/> (at most <see cref="MaxPieceChars"/>) whose cost fits
        /// in <paramref name="work"/>, and that cost; a window always gets to count something if it can.</summary>
        private static (int Chars, int Cost) Fit(ReadOnlySpan<char> piece, int work)
        {
            var limit = Math.Min(piece.Length, MaxPieceChars);
            int chars = 0, bytes = 0, cost = 0;
            while (chars < limit)
            {
                var pair = char.IsHighSurrogate(piece[chars]) && chars + 1 < piece.Length && char.IsLowSurrogate(piece[chars + 1]);
                var width = pair ? 2 : 1;
                if (chars + width > limit)
                {
                    break;
                }
                var next = bytes + (pair ? 4 : piece[chars] < 0x80 ? 1 : piece[chars] < 0x800 ? 2 : 3);
                var nextCost = next <= 16 ? next : next * next / 8;
                if (nextCost > work)
                {
                    break;
                }
                chars += width;
                bytes = next;
                cost = nextCost;
            }
            return (chars, cost);
        }

        /// <summary>The next slice for the pre-tokenizer: up to <see cref="SliceChars"/>, ending before a space that
        /// follows a word when there is one near the end (o200k never joins the two into one pre-token).</summary>
        private static ReadOnlySpan<char> Slice(ReadOnlySpan<char> text)
        {
            if (text.Length <= SliceChars)
            {
                return text;
            }
            var end = Boundary(text, SliceChars);
            for (var i = end - 1; i > end - MaxPieceChars; i--)
            {
                if (text[i] == ' ' && !char.IsWhiteSpace(text[i - 1]))
                {
                    return text[..i];
                }
            }
            return text[..end];
        }

        /// <summary>
        /// Unescapes a window of a JSON string's content. A window may begin inside an escape or split a surrogate
        /// pair: the few characters that garbles only shift an estimate, and a half pair becomes U+FFFD.
        /// </summary>
        private static int Unescape(ReadOnlySpan<byte> escaped, Span<char> chars)
        {
            var written = 0;
            while (escaped.Length > 0)
            {
                var slash = escaped.IndexOf((byte)'\\');
                written += Encoding.UTF8.GetChars(slash < 0 ? escaped : escaped[..slash], chars[written..]);
                if (slash < 0 || slash + 1 == escaped.Length)
                {
                    break;
                }
                escaped = escaped[slash..];
                var used = 2;
                if (escaped[1] == (byte)'u' && escaped.Length >= 6
                    && ushort.TryParse(escaped.Slice(2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit))
                {
                    chars[written++] = (char)unit;
                    used = 6;
                }
                else
                {
                    chars[written++] = escaped[1] switch
                    {
                        (byte)'n' => '\n',
                        (byte)'r' => '\r',
                        (byte)'t' => '\t',
                        (byte)'b' => '\b',
                        (byte)'f' => '\f',
                        var other => (char)other,
                    };
                }
                escaped = escaped[used..];
            }
            for (var i = 0; i < written; i++)
            {
                if (char.IsSurrogate(chars[i]) && !(i + 1 < written && char.IsSurrogatePair(chars[i], chars[i + 1])))
                {
                    chars[i] = '\uFFFD';
                }
                else if (char.IsHighSurrogate(chars[i]))
                {
                    i++;
                }
            }
            return written;
        }

        /// <summary>The nearest character boundary at or before <paramref name="index"/>.</summary>
        private static int Boundary(ReadOnlySpan<char> text, int index) =>
            index > 0 && index < text.Length && char.IsLowSurrogate(text[index]) ? index - 1 : index;

        /// <summary>The nearest UTF-8 sequence start at or before <paramref name="index"/>.</summary>
        private static int Boundary(ReadOnlySpan<byte> utf8, int index)
        {
            while (index > 0 && index < utf8.Length && (utf8[index] & 0xC0) == 0x80)
            {
                index--;
            }
            return index;
        }
    }
}
