using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>Key changes against Azurite: a change decided on a stale read never undoes a revocation or a demotion.</summary>
public sealed class KeyStoreTests
{
    [Fact]
    public async Task UpdateBasedOnAStaleRead_AfterARevocation_IsRefused_AndTheKeyStaysRevoked()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, _) = await app.CreateAccountAsync();
        var (keyId, secret) = await app.CreateKeyAsync(account.Id, "admin");
        var store = app.Services.GetRequiredService<KeyStore>();
        var stale = (await store.GetAsync(account.Id, keyId, CancellationToken.None))!;

        await store.RevokeAsync(stale, DateTimeOffset.UtcNow, CancellationToken.None);
        var written = await store.TryUpdateAsync(stale, stale with { Name = "renamed" }, CancellationToken.None);

        Assert.Null(written);
        Assert.NotNull((await store.FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None))!.RevokedAt);
        Assert.NotNull((await store.GetAsync(account.Id, keyId, CancellationToken.None))!.RevokedAt);
    }

    [Fact]
    public async Task UpdateBasedOnAStaleRead_AfterADemotion_IsRefused()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, _) = await app.CreateAccountAsync();
        var (keyId, secret) = await app.CreateKeyAsync(account.Id, "admin");
        var store = app.Services.GetRequiredService<KeyStore>();
        var stale = (await store.GetAsync(account.Id, keyId, CancellationToken.None))!;

        Assert.NotNull(await store.TryUpdateAsync(stale, stale with { Role = KeyRole.Developer }, CancellationToken.None));
        Assert.Null(await store.TryUpdateAsync(stale, stale with { Name = "renamed" }, CancellationToken.None));

        Assert.Equal(KeyRole.Developer, (await store.FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None))!.Role);
    }
}
