using System.Collections.Immutable;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Sluice.Usage;

/// <summary>
/// Running totals of one model in one usage partition, kept in the same partition as the rows and updated in
/// the same transaction, so they cannot drift from the rows: not with retries, not with concurrent writers.
/// Daily rollups are the sum of a day's counters. The totals are broken down by the surface that served
/// (<see cref="UsageRecord.Endpoint"/>) as the rows are: <see cref="Endpoints"/> holds every surface but Chat
/// Completions, whose share is the rest of the totals, so a counter written before the breakdown reads as Chat
/// Completions (all the gateway served then) with no migration.
/// </summary>
public sealed record UsageCounter(string Model, long Requests, long PromptTokens, long CompletionTokens, long CostNanoUsd, long Errors, long Estimated)
{
    /// <summary>Random per counter row, set when the row is first created. A purge that folds a counter into the
    /// daily rollup and deletes it can meet a late row (a stream that began before midnight) that re-creates the
    /// counter; the new generation is folded beside the old one instead of replacing it.</summary>
    public string Generation { get; init; } = "";

    /// <summary>What a row without <see cref="UsageRecord.Endpoint"/> (written before the gateway served several
    /// surfaces) was served by.</summary>
    public const string DefaultEndpoint = "chat.completions";

    /// <summary>A bound on what <see cref="Endpoints"/> adds to a counter entity: the gateway's own surface names
    /// (about six, none over 32 characters), six numbers each.</summary>
    public const int EndpointsBytesBound = 2048;

    /// <summary>Totals of each surface but Chat Completions (<see cref="DefaultEndpoint"/>), in the order of
    /// <see cref="Values"/>.</summary>
    public ImmutableSortedDictionary<string, long[]> Endpoints { get; init; } = ImmutableSortedDictionary.Create<string, long[]>(StringComparer.Ordinal);

    public static UsageCounter Empty(string model) => new(model, 0, 0, 0, 0, 0, 0)
    {
        Generation = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)),
    };

    public UsageCounter Add(UsageRecord r)
    {
        var next = this with
        {
            Requests = Requests + 1,
            PromptTokens = PromptTokens + r.PromptTokens,
            CompletionTokens = CompletionTokens + r.CompletionTokens,
            CostNanoUsd = CostNanoUsd + r.CostNanoUsd,
            Errors = Errors + (r.IsError ? 1 : 0),
            Estimated = Estimated + (r.UsageEstimated ? 1 : 0),
        };
        if (r.Endpoint is not { } endpoint || endpoint == DefaultEndpoint)
        {
            return next;
        }
        long[] row = [1, r.PromptTokens, r.CompletionTokens, r.CostNanoUsd, r.IsError ? 1 : 0, r.UsageEstimated ? 1 : 0];
        if (Endpoints.TryGetValue(endpoint, out var old))
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] += old[i];
            }
        }
        return next with { Endpoints = Endpoints.SetItem(endpoint, row) };
    }

    /// <summary>Requests, prompt and completion tokens, cost, errors, estimated: the counter's totals as numbers.</summary>
    public long[] Values() => [Requests, PromptTokens, CompletionTokens, CostNanoUsd, Errors, Estimated];

    /// <summary>The totals by surface: Chat Completions first (the totals less every other surface's; always present,
    /// zero when it served nothing), then the others.</summary>
    public IEnumerable<(string Endpoint, long[] Values)> ByEndpoint()
    {
        var chat = Values();
        foreach (var values in Endpoints.Values)
        {
            for (var i = 0; i < chat.Length; i++)
            {
                chat[i] -= values[i];
            }
        }
        yield return (DefaultEndpoint, chat);
        foreach (var (endpoint, values) in Endpoints)
        {
            yield return (endpoint, values);
        }
    }

    public TableEntity ToEntity(string partitionKey, string rowKey, ETag etag)
    {
        var entity = Entity(partitionKey, rowKey, etag);
        if (!Endpoints.IsEmpty)
        {
            entity["Endpoints"] = JsonSerializer.Serialize(Endpoints.ToDictionary(StringComparer.Ordinal), UsageJson.Default.DictionaryStringInt64Array);
        }
        return entity;
    }

    private TableEntity Entity(string partitionKey, string rowKey, ETag etag) => new(partitionKey, rowKey)
    {
        ["Model"] = Model,
        ["Requests"] = Requests,
        ["PromptTokens"] = PromptTokens,
        ["CompletionTokens"] = CompletionTokens,
        ["CostNanoUsd"] = CostNanoUsd,
        ["Errors"] = Errors,
        ["Estimated"] = Estimated,
        ["Generation"] = Generation,
        ETag = etag,
    };

    public static UsageCounter FromEntity(TableEntity e) => new(
        e.GetString("Model") ?? "",
        e.GetInt64("Requests") ?? 0,
        e.GetInt64("PromptTokens") ?? 0,
        e.GetInt64("CompletionTokens") ?? 0,
        e.GetInt64("CostNanoUsd") ?? 0,
        e.GetInt64("Errors") ?? 0,
        e.GetInt64("Estimated") ?? 0)
    {
        Generation = e.GetString("Generation") ?? "",
        Endpoints = e.GetString("Endpoints") is { Length: > 0 } json
            ? JsonSerializer.Deserialize(json, UsageJson.Default.DictionaryStringInt64Array)!.ToImmutableSortedDictionary(StringComparer.Ordinal)
            : ImmutableSortedDictionary.Create<string, long[]>(StringComparer.Ordinal),
    };
}
