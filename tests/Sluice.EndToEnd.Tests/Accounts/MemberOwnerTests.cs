using Microsoft.Extensions.DependencyInjection;
using Sluice.Accounts;
using Sluice.Retention;
using Sluice.Storage;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests.Accounts;

/// <summary>
/// "The account always keeps one Owner, key or member", through the one witness protocol (Azurite's real
/// conditional entity group transactions): members count as Owners for keys and keys for members, the last one is
/// refused, and concurrent removals can never leave the account without one. Members are account data: purged with it.
/// </summary>
public sealed class MemberOwnerTests : IAsyncLifetime
{
    private SluiceApplication _app = null!;

    public async Task InitializeAsync() => _app = await SluiceApplication.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private MemberStore Members => _app.Services.GetRequiredService<MemberStore>();
    private MemberLifecycle MemberLifecycle => _app.Services.GetRequiredService<MemberLifecycle>();

    [Fact]
    public async Task AnOwnerMember_LetsTheLastOwnerKeyGo_AndIsThenTheLastOwner_WhoCannotLeaveOrBeDemoted()
    {
        var (account, ownerKey) = await _app.CreateAccountAsync();
        var key = (await _app.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(ownerKey), CancellationToken.None))!;
        var lifecycle = _app.Services.GetRequiredService<AccountLifecycle>();

        // Alone, the Owner key is the last Owner.
        var (_, refused) = await lifecycle.RevokeKeyAsync(key, KeyRole.Owner, key.Id, null, CancellationToken.None);
        Assert.Equal("last_owner_key", refused!.Code);

        var alice = await AddAsync(account.Id, "alice", KeyRole.Owner);
        var (revoked, error) = await lifecycle.RevokeKeyAsync(key, KeyRole.Owner, key.Id, null, CancellationToken.None);
        Assert.Null(error);
        Assert.NotNull(revoked!.RevokedAt);

        var asAlice = new Caller(account, alice, null);
        Assert.Equal((409, "last_owner"), Code(await MemberLifecycle.RemoveAsync(asAlice, alice, CancellationToken.None)));
        var (_, demote) = await MemberLifecycle.ChangeRoleAsync(asAlice, alice, "admin", CancellationToken.None);
        Assert.Equal((409, "last_owner"), Code(demote));
        Assert.Equal(KeyRole.Owner, (await Members.GetAsync(account.Id, alice.PersonId, CancellationToken.None))!.Role);

        // With a second Owner member, Alice can leave.
        await AddAsync(account.Id, "bob", KeyRole.Owner);
        Assert.Null(await MemberLifecycle.RemoveAsync(asAlice, (await Members.GetAsync(account.Id, alice.PersonId, CancellationToken.None))!, CancellationToken.None));
        Assert.Null(await Members.GetAsync(account.Id, alice.PersonId, CancellationToken.None));
        Assert.Empty(await Members.MembershipsAsync(alice.PersonId, CancellationToken.None));
    }

    [Fact]
    public async Task TwoOwnerMembers_RemovingEachOtherAtOnce_NeverLeaveTheAccountWithoutAnOwner()
    {
        for (var round = 0; round < 4; round++)
        {
            var (account, ownerKey) = await _app.CreateAccountAsync();
            var key = (await _app.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(ownerKey), CancellationToken.None))!;
            var a = await AddAsync(account.Id, $"a{round}", KeyRole.Owner);
            var b = await AddAsync(account.Id, $"b{round}", KeyRole.Owner);
            var (_, revokeError) = await _app.Services.GetRequiredService<AccountLifecycle>().RevokeKeyAsync(key, KeyRole.Owner, key.Id, null, CancellationToken.None);
            Assert.Null(revokeError);

            // Each decided on the same reads: the other is the Owner that vouches for the removal.
            var results = await Task.WhenAll(
                MemberLifecycle.RemoveAsync(new Caller(account, a, null), b, CancellationToken.None),
                MemberLifecycle.RemoveAsync(new Caller(account, b, null), a, CancellationToken.None));

            var left = new List<Member>();
            await foreach (var m in Members.ListAsync(account.Id, CancellationToken.None))
            {
                left.Add(m);
            }
            Assert.Single(left, m => m.Role == KeyRole.Owner);
            Assert.Single(results, r => r is null);
            Assert.Single(results, r => r?.Code == "last_owner");
        }
    }

    [Fact]
    public async Task ARemoval_CommitsOnlyIfItsWitnessIsUnchanged_InOneTransaction()
    {
        var (account, _) = await _app.CreateAccountAsync();
        var a = await AddAsync(account.Id, "wa", KeyRole.Owner);
        var b = await AddAsync(account.Id, "wb", KeyRole.Owner);

        // Both decisions were made on the same reads; the first commits and moves its witness (a) on.
        Assert.True(await Members.TryRemoveAsync(b, OwnerWitness.Of(a), CancellationToken.None));
        var freshA = (await Members.GetAsync(account.Id, a.PersonId, CancellationToken.None))!;
        Assert.NotEqual(a.ETag, freshA.ETag);
        // The second relies on b, which is gone: nothing is written, a stays.
        Assert.False(await Members.TryRemoveAsync(freshA, OwnerWitness.Of(b), CancellationToken.None));
        Assert.NotNull(await Members.GetAsync(account.Id, a.PersonId, CancellationToken.None));
    }

    [Fact]
    public async Task MembersAndInvitations_AreInTheExport_AndPurgedWithTheAccount_IndexesIncluded()
    {
        var (account, ownerKey) = await _app.CreateAccountAsync();
        var member = await AddAsync(account.Id, "erin", KeyRole.Developer);
        var key = (await _app.Services.GetRequiredService<KeyStore>().FindByHashAsync(GatewayKey.Hash(ownerKey), CancellationToken.None))!;
        var (invitation, inviteError) = await MemberLifecycle.InviteAsync(new Caller(account, key, null), "frank@example.com", "admin", CancellationToken.None);
        Assert.Null(inviteError);

        var export = await _app.CreateHttpClient(ownerKey).GetStringAsync("v1/account/export");
        Assert.Contains("\"type\":\"member\"", export, StringComparison.Ordinal);
        Assert.Contains("erin@example.com", export, StringComparison.Ordinal);
        Assert.Contains(invitation!.Id, export, StringComparison.Ordinal);

        var purge = _app.Services.GetRequiredService<AccountPurge>();
        var current = await _app.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.True(await purge.PurgeAsync(current!, new PurgeRun("test", _app.Services.GetRequiredService<TimeProvider>().GetUtcNow(), 10_000, 100), CancellationToken.None));

        Assert.Null(await Members.GetAsync(account.Id, member.PersonId, CancellationToken.None));
        Assert.Empty(await Members.MembershipsAsync(member.PersonId, CancellationToken.None));
        Assert.Empty(await Members.InvitationsForAsync("frank@example.com", CancellationToken.None));
        var index = _app.Storage.Keys.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "p|" + member.PersonId);
        await foreach (var _ in index)
        {
            Assert.Fail("A person index entry outlived the purge.");
        }
        var tombstone = await _app.Services.GetRequiredService<AccountStore>().GetAsync(account.Id, CancellationToken.None);
        Assert.Equal(2, tombstone!.PurgeCounts["invitations"]);
        Assert.Equal(2, tombstone.PurgeCounts["members"]);
    }

    private async Task<Member> AddAsync(string accountId, string subject, KeyRole role)
    {
        const string issuer = "https://idp.example.com/";
        var member = new Member
        {
            AccountId = accountId,
            PersonId = PersonId.Of(issuer, subject),
            Issuer = issuer,
            Subject = subject,
            Name = subject,
            Email = subject + "@example.com",
            Role = role,
            JoinedAt = DateTimeOffset.UtcNow,
        };
        Assert.True(await Members.TryAddAsync(member, CancellationToken.None));
        return (await Members.GetAsync(accountId, member.PersonId, CancellationToken.None))!;
    }

    private static (int, string) Code(Sluice.Wire.ApiError? error) => (error!.Status, error.Code);
}
