using System.Text;

namespace Sluice.Testing;

/// <summary>
/// Seeded, reproducible text of the kinds prompts are made of, as the baseline that pathological inputs are held
/// against: English-like prose (a few hundred words, Zipf-like frequencies, sentences and paragraphs) and C#-like code.
/// No quotes or backslashes, so it can sit inside a JSON string as is (newlines aside).
/// </summary>
public static class OrdinaryText
{
    private static readonly string[] s_words =
    [
        "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with", "as", "his",
        "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "hot", "word", "but", "what", "some", "we", "can",
        "out", "other", "were", "all", "there", "when", "up", "use", "your", "how", "said", "an", "each", "she", "which", "do",
        "their", "time", "if", "will", "way", "about", "many", "then", "them", "write", "would", "like", "so", "these", "her",
        "long", "make", "thing", "see", "him", "two", "has", "look", "more", "day", "could", "go", "come", "did", "number",
        "sound", "no", "most", "people", "my", "over", "know", "water", "than", "call", "first", "who", "may", "down", "side",
        "been", "now", "find", "any", "new", "work", "part", "take", "get", "place", "made", "live", "where", "after", "back",
        "little", "only", "round", "man", "year", "came", "show", "every", "good", "me", "give", "our", "under", "name", "very",
        "through", "just", "form", "sentence", "great", "think", "say", "help", "low", "line", "differ", "turn", "cause",
        "much", "mean", "before", "move", "right", "boy", "old", "too", "same", "tell", "does", "set", "three", "want", "air",
        "well", "also", "play", "small", "end", "put", "home", "read", "hand", "port", "large", "spell", "add", "even", "land",
        "here", "must", "big", "high", "such", "follow", "act", "why", "ask", "men", "change", "went", "light", "kind", "off",
        "need", "house", "picture", "try", "us", "again", "animal", "point", "mother", "world", "near", "build", "self",
        "earth", "father", "head", "stand", "own", "page", "should", "country", "found", "answer", "school", "grow", "study",
        "still", "learn", "plant", "cover", "food", "sun", "four", "between", "state", "keep", "eye", "never", "last", "let",
        "thought", "city", "tree", "cross", "farm", "hard", "start", "might", "story", "saw", "far", "sea", "draw", "left",
        "late", "run", "while", "press", "close", "night", "real", "life", "few", "north", "gateway", "request", "token",
        "stream", "region", "account", "retention", "provider", "latency", "invoice", "deployment", "configuration",
    ];

    private static readonly string[] s_identifiers =
    [
        "request", "response", "options", "client", "route", "usage", "tokens", "buffer", "length", "index", "result", "error",
        "account", "model", "stream", "reader", "writer", "count", "total", "value", "name", "items", "context", "logger",
    ];

    /// <summary>About <paramref name="length"/> characters of English-like prose.</summary>
    public static string Prose(int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length + 64);
        while (text.Length < length)
        {
            var words = random.Next(5, 21);
            for (var i = 0; i < words; i++)
            {
                // Squaring a uniform draw favours the front of the list, as real word frequencies do.
                var u = random.NextDouble();
                var word = s_words[(int)(u * u * s_words.Length)];
                text.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                text.Append(i == words - 1 ? "" : random.Next(12) == 0 ? ", " : " ");
            }
            if (random.Next(20) == 0)
            {
                text.Append(' ').Append(random.Next(1, 2030));
            }
            text.Append(random.Next(8) == 0 ? ".\n\n" : ". ");
        }
        return text.ToString(0, length);
    }

    /// <summary>About <paramref name="length"/> characters of C#-like code.</summary>
    public static string Code(int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length + 128);
        string Id() => s_identifiers[random.Next(s_identifiers.Length)];
        while (text.Length < length)
        {
            var indent = new string(' ', 4 * random.Next(1, 4));
            switch (random.Next(5))
            {
                case 0:
                    text.Append(indent).Append("var ").Append(Id()).Append(" = ").Append(Id()).Append('.').Append(Id()).Append('(').Append(Id()).Append(", ").Append(random.Next(100)).Append(");\n");
                    break;
                case 1:
                    text.Append(indent).Append("if (").Append(Id()).Append(" > ").Append(random.Next(1000)).Append(")\n").Append(indent).Append("{\n");
                    break;
                case 2:
                    text.Append(indent).Append("}\n");
                    break;
                case 3:
                    text.Append(indent).Append("// ").Append(Prose(random.Next(20, 80), random.Next()).Replace('\n', ' ')).Append('\n');
                    break;
                default:
                    text.Append(indent).Append("return ").Append(Id()).Append(" + ").Append(Id()).Append(";\n");
                    break;
            }
        }
        return text.ToString(0, length);
    }
}
