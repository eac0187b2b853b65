using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sluice.Providers;
using Sluice.Wire;

namespace Sluice.Core.Tests.Providers;

/// <summary>Drives one provider against a fake upstream on a real socket, through the same outbound HTTP pipeline
/// the gateway uses (proxy-like handler, retries), and reads its OpenAI-format answer back.</summary>
internal static class ProviderHarness
{
    public static readonly FakeTimeProvider Time = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    private static readonly Lazy<IHttpClientFactory> s_httpClients = new(() =>
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<UpstreamOptions>().Configure(o =>
        {
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
        });
        services.AddUpstreamHttp();
        return services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
    });

    public static IHttpClientFactory HttpClients => s_httpClients.Value;

    public static ChatRequest Request(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var rented = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented, 0);
        if (!ChatRequest.TryParse(rented, bytes.Length, out var request, out var error))
        {
            throw new InvalidOperationException(error!.Message);
        }
        return request!;
    }

    public static ModelRoute Route(IChatProvider provider, Uri? baseUrl, string upstreamModel = "upstream-model", string? key = "sk-upstream",
        string? apiVersion = null) => new()
    {
        Id = provider.Name + ":" + upstreamModel,
        Model = "public-model",
        Provider = provider,
        UpstreamModel = upstreamModel,
        BaseUrl = baseUrl,
        Credential = UpstreamCredential.From(key),
        ApiVersion = apiVersion,
        Pricing = new Pricing(1, 2),
        Facts = RouteDataFacts.WorstCase,
    };

    public static async Task<JsonElement> ReadJsonAsync(UpstreamResponse response)
    {
        Assert.NotNull(response.Json);
        using var document = await JsonDocument.ParseAsync(response.Json);
        return document.RootElement.Clone();
    }

    /// <summary>Every event of a stream, in order, and whether it completed.</summary>
    public static async Task<(List<JsonElement> Events, bool Completed)> ReadEventsAsync(UpstreamResponse response)
    {
        Assert.NotNull(response.Events);
        var events = new List<JsonElement>();
        while (await response.Events.MoveNextAsync(CancellationToken.None))
        {
            events.Add(JsonDocument.Parse(response.Events.Current).RootElement.Clone());
        }
        return (events, response.Events.Completed);
    }

    public static JsonElement ErrorOf(UpstreamResponse response)
    {
        Assert.NotNull(response.Error);
        return JsonDocument.Parse(response.Error.Body).RootElement.GetProperty("error").Clone();
    }

    /// <summary>Concatenated <c>delta.content</c> of a stream's chunks.</summary>
    public static string ContentOf(IEnumerable<JsonElement> chunks) => string.Concat(chunks
        .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
        .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
        .Select(d => d.TryGetProperty("content", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : ""));
}
