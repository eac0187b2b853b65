using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>A gateway key is shown once and stored only as its SHA-256: read straight from the keys table in Azurite.</summary>
public sealed class KeyStorageEndToEndTests
{
    [Fact]
    public async Task KeysTable_HoldsTheKeysSha256_AndNeverTheKeyItself()
    {
        await using var app = await SluiceApplication.StartAsync();
        using var operatorClient = app.CreateHttpClient(SluiceApplication.OperatorSecret);
        using var created = await operatorClient.PostAsJsonAsync("operator/accounts", new { name = "hashed" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var accountId = body.GetProperty("account").GetProperty("id").GetString()!;
        var secret = body.GetProperty("key").GetProperty("key").GetString()!;
        using var keyResponse = await operatorClient.PostAsJsonAsync($"operator/accounts/{accountId}/keys", new { role = "developer" });
        var secondSecret = (await keyResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        var entities = new List<TableEntity>();
        await foreach (var e in (await Azurite.TablesAsync()).GetTableClient(app.Name + "keys").QueryAsync<TableEntity>())
        {
            entities.Add(e);
        }

        // Two entities per key: the hash lookup and the account listing.
        Assert.Equal(4, entities.Count);
        foreach (var key in new[] { secret, secondSecret })
        {
            Assert.True(key.Length >= 43 + "sk-sluice-us-".Length);
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            var byHash = Assert.Single(entities, e => e.PartitionKey == "h|" + hash);
            Assert.Equal(hash, byHash.GetString("Hash"));
            Assert.Equal(accountId, byHash.GetString("AccountId"));
            var secretPart = key["sk-sluice-us-".Length..];
            foreach (var entity in entities)
            {
                foreach (var (_, value) in entity)
                {
                    var text = value?.ToString() ?? "";
                    Assert.DoesNotContain(key, text, StringComparison.Ordinal);
                    // Nor any long piece of it (the hint keeps the last four characters only).
                    Assert.DoesNotContain(secretPart[..20], text, StringComparison.Ordinal);
                    Assert.DoesNotContain(secretPart[^20..], text, StringComparison.Ordinal);
                }
                Assert.DoesNotContain(secretPart[..20], entity.PartitionKey + entity.RowKey, StringComparison.Ordinal);
            }
        }

        // And the key authenticates by that hash.
        using var client = app.CreateHttpClient(secret);
        using var models = await client.GetAsync("v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }
}
