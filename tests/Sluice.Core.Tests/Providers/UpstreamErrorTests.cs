using System.Net;
using System.Text;
using System.Text.Json;
using Sluice.Providers;

namespace Sluice.Core.Tests.Providers;

/// <summary>Whatever shape a provider's error body has, the client gets OpenAI's, and the usage row a safe code.</summary>
public sealed class UpstreamErrorTests
{
    private static async Task<(UpstreamError Error, JsonElement Body)> ReadAsync(int status, string body, string? retryAfter = null)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (retryAfter is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        }
        var error = await UpstreamHttp.ReadErrorAsync(response, CancellationToken.None);
        return (error, JsonDocument.Parse(error.Body).RootElement.GetProperty("error").Clone());
    }

    [Theory]
    // OpenAI
    [InlineData(429, """{"error":{"message":"Slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}""", "Slow down", "requests", "rate_limit_exceeded", "rate_limit_exceeded")]
    // Anthropic
    [InlineData(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}""", "Overloaded", "overloaded_error", "overloaded_error", "overloaded_error")]
    // A bare message (some OpenAI-compatible servers)
    [InlineData(400, """{"error":"model not loaded"}""", "model not loaded", "invalid_request_error", "upstream_http_400", "upstream_http_400")]
    // Not JSON at all (a proxy's HTML page)
    [InlineData(502, "<html>Bad gateway</html>", "The upstream provider answered HTTP 502.", "api_error", "upstream_http_502", "upstream_http_502")]
    // A code that is free text is kept for the client but not put on the usage row
    [InlineData(400, """{"error":{"message":"m","type":"invalid_request_error","code":"Your prompt mentions X"}}""", "m", "invalid_request_error", "Your prompt mentions X", "upstream_http_400")]
    public async Task ErrorBodies_BecomeOpenAIErrors_WithASanitisedRowCode(int status, string body, string message, string type, string code, string rowCode)
    {
        var (error, json) = await ReadAsync(status, body);

        Assert.Equal(status, error.Status);
        Assert.Equal(message, json.GetProperty("message").GetString());
        Assert.Equal(type, json.GetProperty("type").GetString());
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.Equal(rowCode, error.Code);
    }

    [Fact]
    public async Task AnOversizedErrorBody_IsNotRead_OnlyItsStatusIsReported()
    {
        var huge = """{"error":{"message":""" + "\"" + new string('x', 200_000) + "\"}}";

        var (error, json) = await ReadAsync(500, huge);

        Assert.Equal("The upstream provider answered HTTP 500.", json.GetProperty("message").GetString());
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task RetryAfter_IsKept()
    {
        var (error, _) = await ReadAsync(429, "{}", retryAfter: "7");

        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
    }
}
