using Sluice.Wire;

namespace Sluice.Core.Tests.Proxy;

public sealed class ApiErrorTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o")]
    [InlineData("a\nb\rc\0d\u202ee\u2028f", "a?b?c?d?e?f")]
    [InlineData("smile \ud83d\ude00", "smile \ud83d\ude00")]
    public void Echo_KeepsPrintableText_AndMasksControlAndFormatCharacters(string value, string echoed) =>
        Assert.Equal(echoed, ApiError.Echo(value));

    [Fact]
    public void Echo_IsAShortPrefix_ThatNeverSplitsASurrogatePair()
    {
        var echoed = ApiError.Echo(new string('m', 1024 * 1024));
        Assert.Equal(new string('m', ApiError.MaxEchoLength) + "…", echoed);

        var pairAtTheCut = new string('m', ApiError.MaxEchoLength - 1) + "\ud83d\ude00tail";
        Assert.Equal(new string('m', ApiError.MaxEchoLength - 1) + "…", ApiError.Echo(pairAtTheCut));
    }

    [Fact]
    public void ModelNotFound_EchoesOnlyTheSanitisedPrefix()
    {
        var error = ApiError.ModelNotFound("evil\r\n" + new string('x', 500));

        Assert.StartsWith("The model 'evil??xxx", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 120);
    }
}
