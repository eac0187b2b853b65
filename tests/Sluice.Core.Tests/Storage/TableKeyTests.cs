using Sluice.Storage;

namespace Sluice.Core.Tests.Storage;

/// <summary>Keys made from client text always fit Azure's rules, and decode back to the text while they fit.</summary>
public sealed class TableKeyTests
{
    /// <summary>Characters a hostile name is made of: everything keys forbid, the escape character, both halves of a
    /// surrogate pair (alone or together), and ordinary text.</summary>
    private static readonly string[] s_palette =
    [
        "/", "\\", "#", "?", "%", "%25", "%~", "%u", "\u0000", "\u0001", "\u001f", "\u007f", "\u0085", "\u009f", "\t", "\n",
        "\ud800", "\udbff", "\udc00", "\udfff", "\ud83e\udd16", "a", "Z", "0", "-", ".", "_", "|", "~", "'", "\"", " ", "é", "模", "\u00a0", "\uffff",
    ];

    [Theory]
    [InlineData("gpt-4o-mini")]
    [InlineData("claude-3-5-sonnet-20241022")]
    [InlineData("mistral-large-latest|eu")]
    [InlineData("模型-é-\ud83e\udd16")]
    public void OrdinaryNames_AreTheirOwnKeys(string model) => Assert.Equal(model, TableKey.Encode(model));

    [Fact]
    public void EveryForbiddenCharacter_TheEscapeCharacterAndUnpairedSurrogates_AreEscaped_AndDecodeBack()
    {
        const string value = "a/b\\c#d?e%f\u0000g\u001fh\u007fi\u009fj\ud800k\udc00l\ud83e\udd16m%~n%uD800";

        var key = TableKey.Encode(value);

        Assert.Equal("a%2Fb%5Cc%23d%3Fe%25f%00g%1Fh%7Fi%9Fj%uD800k%uDC00l\ud83e\udd16m%25~n%25uD800", key);
        Assert.Null(TableKey.Violation(key));
        Assert.True(TableKey.TryDecode(key, out var decoded));
        Assert.Equal(value, decoded);
    }

    [Fact]
    public void AnyValue_GivesAKeyAzureTakes_WithinTheRoomGiven_ThatDecodesBackWhileItFits()
    {
        var random = new Random(20261206);
        for (var i = 0; i < 2000; i++)
        {
            var value = RandomText(random, random.Next(0, i % 10 == 0 ? 3000 : 400));
            var room = (int[])[TableKey.MaxLength, TableKey.MaxLength - 8, 40];
            var maxLength = room[i % room.Length];

            var key = TableKey.Encode(value, maxLength);

            Assert.Null(TableKey.Violation(key));
            Assert.InRange(key.Length, 0, maxLength);
            Assert.False(key.Length > 0 && char.IsHighSurrogate(key[^1]), "a key never ends in half a pair");
            var marker = key.IndexOf(TableKey.HashMarker, StringComparison.Ordinal);
            if (marker < 0)
            {
                Assert.True(TableKey.TryDecode(key, out var decoded));
                Assert.Equal(value, decoded);
            }
            else
            {
                // Shortened: the marker ends it, after a prefix that is the start of the value's own encoding.
                Assert.Equal(marker + TableKey.HashMarker.Length + 16, key.Length);
                Assert.False(TableKey.TryDecode(key, out _));
                Assert.True(TableKey.TryDecode(key[..marker], out var prefix));
                Assert.StartsWith(prefix, value, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void LongValues_SharingTheirStart_KeepDistinctKeys_AndNoValueTakesAnothersShortenedKey()
    {
        var start = string.Concat(Enumerable.Repeat("/#?%\\", 200));
        var first = TableKey.Encode(start + "a");
        var second = TableKey.Encode(start + "b");

        Assert.NotEqual(first, second);
        // Cut only between whole escapes (3 code units each): at most 2 short of the limit.
        Assert.InRange(first.Length, TableKey.MaxLength - 2, TableKey.MaxLength);
        Assert.Contains(TableKey.HashMarker, first, StringComparison.Ordinal);
        // A client sending the shortened key's own text as a model gets a key of its own.
        Assert.NotEqual(first, TableKey.Encode(first));
    }

    [Fact]
    public void Violation_NamesWhatAzureRefuses()
    {
        Assert.Null(TableKey.Violation(new string('k', TableKey.MaxLength)));
        Assert.NotNull(TableKey.Violation(new string('k', TableKey.MaxLength + 1)));
        foreach (var c in "/\\#?\u0000\u001f\u007f\u009f")
        {
            Assert.NotNull(TableKey.Violation("a" + c));
        }
    }

    private static string RandomText(Random random, int parts)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < parts; i++)
        {
            text.Append(s_palette[random.Next(s_palette.Length)]);
        }
        return text.ToString();
    }
}
