using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Sluice.Health;

/// <summary>
/// <c>GET /health</c>, anonymous: 200 when storage (tables and blobs) answers, 503 when either does not, with a body
/// that says which and nothing else (no account, key, setting or error text).
/// </summary>
public sealed class HealthHandler(StorageHealth storage)
{
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var status = await storage.CheckAsync();
        context.Response.Headers.CacheControl = "no-store";
        var report = new HealthReport(status.Healthy ? "healthy" : "unhealthy",
            new StorageReport(Word(status.TablesReachable), Word(status.BlobsReachable)));
        return TypedResults.Json(report, HealthJson.Wire.HealthReport,
            statusCode: status.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static string Word(bool reachable) => reachable ? "reachable" : "unreachable";
}

public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("storage")] StorageReport Storage);

public sealed record StorageReport(
    [property: JsonPropertyName("tables")] string Tables,
    [property: JsonPropertyName("blobs")] string Blobs);
