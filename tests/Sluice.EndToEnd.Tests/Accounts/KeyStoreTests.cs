using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>Key writes against Azurite: a change decided on a stale read never undoes a revocation or a demotion, and a
/// change that relies on a witness fails when the witness changed.</summary>
public sealed class KeyStoreTests
{
    [Fact]
    public async Task WriteBasedOnAStaleRead_AfterARevocation_IsRefused_AndTheKeyStaysRevoked()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, _) = await app.CreateAccountAsync();
        var (keyId, secret) = await app.CreateKeyAsync(account.Id, "admin");
        var store = app.Services.GetRequiredService<KeyStore>();
        var stale = (await store.GetAsync(account.Id, keyId, CancellationToken.None))!;

        Assert.NotNull(await store.TryWriteAsync(stale with { RevokedAt = DateTimeOffset.UtcNow }, null, CancellationToken.None));
        var written = await store.TryWriteAsync(stale with { Name = "renamed" }, null, CancellationToken.None);

        Assert.Null(written);
        Assert.NotNull((await store.FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None))!.RevokedAt);
        Assert.NotNull((await store.GetAsync(account.Id, keyId, CancellationToken.None))!.RevokedAt);
    }

    [Fact]
    public async Task WriteBasedOnAStaleRead_AfterADemotion_IsRefused()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, _) = await app.CreateAccountAsync();
        var (keyId, secret) = await app.CreateKeyAsync(account.Id, "admin");
        var store = app.Services.GetRequiredService<KeyStore>();
        var stale = (await store.GetAsync(account.Id, keyId, CancellationToken.None))!;

        Assert.NotNull(await store.TryWriteAsync(stale with { Role = KeyRole.Developer }, null, CancellationToken.None));
        Assert.Null(await store.TryWriteAsync(stale with { Name = "renamed" }, null, CancellationToken.None));

        Assert.Equal(KeyRole.Developer, (await store.FindByHashAsync(GatewayKey.Hash(secret), CancellationToken.None))!.Role);
    }

    [Fact]
    public async Task AWriteWithAWitness_FailsWhole_WhenOnlyTheWitnessChangedSinceItWasRead()
    {
        await using var app = await SluiceApplication.StartAsync();
        var (account, _) = await app.CreateAccountAsync();
        var (aId, _) = await app.CreateKeyAsync(account.Id, "owner");
        var (bId, _) = await app.CreateKeyAsync(account.Id, "owner");
        var (cId, _) = await app.CreateKeyAsync(account.Id, "owner");
        var store = app.Services.GetRequiredService<KeyStore>();
        var (a, b, c) = ((await store.GetAsync(account.Id, aId, CancellationToken.None))!,
            (await store.GetAsync(account.Id, bId, CancellationToken.None))!, (await store.GetAsync(account.Id, cId, CancellationToken.None))!);

        // B is revoked with A as its witness; C's revocation, decided on the old read of B as its witness, must not pass
        // even though C itself is unchanged.
        Assert.NotNull(await store.TryWriteAsync(b with { RevokedAt = DateTimeOffset.UtcNow }, a, CancellationToken.None));
        Assert.Null(await store.TryWriteAsync(c with { RevokedAt = DateTimeOffset.UtcNow }, b, CancellationToken.None));

        Assert.Null((await store.GetAsync(account.Id, cId, CancellationToken.None))!.RevokedAt);
        // And the witness itself is left as it was: only its version moved.
        var aNow = (await store.GetAsync(account.Id, aId, CancellationToken.None))!;
        Assert.Equal((a.Role, a.RevokedAt, a.Name), (aNow.Role, aNow.RevokedAt, aNow.Name));
        Assert.NotEqual(a.ETag, aNow.ETag);
    }
}
