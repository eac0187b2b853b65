using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>
/// Members and invitations live in the account's partition of the keys table, beside its keys (RowKeys
/// <c>mem_{person}</c> and <c>inv_{id}</c>), so a change to a member and the Owner that vouches for it commit in one
/// entity group transaction (<see cref="KeyStore.TrySubmitAsync"/>). Two indexes lead to them from outside the account:
/// <c>p|{person}</c> (RowKey the account id) lists the accounts a person belongs to, and <c>e|{email hash}</c>
/// (RowKey the invitation id) the invitations waiting for an email. The records are authoritative; an index entry
/// whose record is gone is ignored, so every write puts the record first and removes it last.
/// </summary>
public sealed class MemberStore(SluiceStorage storage, KeyStore keys)
{
    private static string PersonPartition(string personId) => "p|" + personId;
    private static string EmailPartition(string email) => "e|" + MemberIds.EmailHash(email);

    public async Task<Member?> GetAsync(string accountId, string personId, CancellationToken cancellationToken)
    {
        if (!PersonId.IsValid(personId))
        {
            return null;
        }
        var response = await storage.Keys.GetEntityIfExistsAsync<TableEntity>(KeyStore.PartitionOf(accountId), MemberIds.Prefix + personId,
            cancellationToken: cancellationToken);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    public async IAsyncEnumerable<Member> ListAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in storage.Keys.QueryAsync<TableEntity>(Rows(accountId, MemberIds.Prefix), cancellationToken: cancellationToken))
        {
            yield return FromEntity(e);
        }
    }

    /// <summary>The accounts this person is a member of, as their member records say now.</summary>
    public async Task<IReadOnlyList<Member>> MembershipsAsync(string personId, CancellationToken cancellationToken)
    {
        var found = new List<Member>();
        await foreach (var index in storage.Keys.QueryAsync<TableEntity>(x => x.PartitionKey == PersonPartition(personId), cancellationToken: cancellationToken))
        {
            if (await GetAsync(index.RowKey, personId, cancellationToken) is { } member)
            {
                found.Add(member);
            }
        }
        return found;
    }

    /// <summary>Changes a member's record if it is still at the version read, with an Owner witness when the change
    /// takes an Owner away; null when a condition failed.</summary>
    public async Task<Member?> TryWriteAsync(Member updated, OwnerWitness? witness, CancellationToken cancellationToken)
    {
        var responses = await keys.TrySubmitAsync([new(TableTransactionActionType.UpdateReplace, ToEntity(updated), updated.ETag)], witness, cancellationToken);
        return responses is null ? null : updated with { ETag = responses[0].Headers.ETag ?? default };
    }

    /// <summary>Removes a member if the record is still at the version read (and the witness unchanged); false when a
    /// condition failed.</summary>
    public async Task<bool> TryRemoveAsync(Member member, OwnerWitness? witness, CancellationToken cancellationToken)
    {
        var responses = await keys.TrySubmitAsync(
            [new(TableTransactionActionType.Delete, new TableEntity(KeyStore.PartitionOf(member.AccountId), member.Id), member.ETag)], witness, cancellationToken);
        if (responses is null)
        {
            return false;
        }
        await storage.Keys.DeleteEntityAsync(PersonPartition(member.PersonId), member.AccountId, ETag.All, cancellationToken);
        return true;
    }

    /// <summary>Turns an invitation into a member: the member is added and the invitation deleted in one transaction,
    /// so an invitation is used once. Null when the invitation changed or is gone, or the person is already a member.</summary>
    public async Task<Member?> TryAcceptAsync(Invitation invitation, Member member, CancellationToken cancellationToken)
    {
        var responses = await keys.TrySubmitAsync(
        [
            new(TableTransactionActionType.Add, ToEntity(member)),
            new(TableTransactionActionType.Delete, new TableEntity(KeyStore.PartitionOf(invitation.AccountId), invitation.Id), invitation.ETag),
        ], null, cancellationToken);
        if (responses is null)
        {
            return null;
        }
        await storage.Keys.UpsertEntityAsync(new TableEntity(PersonPartition(member.PersonId), member.AccountId), TableUpdateMode.Replace, cancellationToken);
        await storage.Keys.DeleteEntityAsync(EmailPartition(invitation.Email), invitation.Id, ETag.All, cancellationToken);
        return member with { ETag = responses[0].Headers.ETag ?? default };
    }

    /// <summary>Adds a member outright (the account's creator, the dev host's demo person); false when already one.</summary>
    public async Task<bool> TryAddAsync(Member member, CancellationToken cancellationToken)
    {
        try
        {
            await storage.Keys.AddEntityAsync(ToEntity(member), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
        await storage.Keys.UpsertEntityAsync(new TableEntity(PersonPartition(member.PersonId), member.AccountId), TableUpdateMode.Replace, cancellationToken);
        return true;
    }

    public async Task<Invitation> AddInvitationAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        var added = await storage.Keys.AddEntityAsync(ToEntity(invitation), cancellationToken);
        await storage.Keys.UpsertEntityAsync(new TableEntity(EmailPartition(invitation.Email), invitation.Id) { ["AccountId"] = invitation.AccountId },
            TableUpdateMode.Replace, cancellationToken);
        return invitation with { ETag = added.Headers.ETag ?? default };
    }

    public async Task<Invitation?> GetInvitationAsync(string accountId, string invitationId, CancellationToken cancellationToken)
    {
        if (!MemberIds.IsValidInvitationId(invitationId))
        {
            return null;
        }
        var response = await storage.Keys.GetEntityIfExistsAsync<TableEntity>(KeyStore.PartitionOf(accountId), invitationId, cancellationToken: cancellationToken);
        return response.HasValue ? InvitationFromEntity(response.Value!) : null;
    }

    public async IAsyncEnumerable<Invitation> ListInvitationsAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in storage.Keys.QueryAsync<TableEntity>(Rows(accountId, MemberIds.InvitationPrefix), cancellationToken: cancellationToken))
        {
            yield return InvitationFromEntity(e);
        }
    }

    /// <summary>The invitations waiting for this email, in any account.</summary>
    public async Task<IReadOnlyList<Invitation>> InvitationsForAsync(string email, CancellationToken cancellationToken)
    {
        var found = new List<Invitation>();
        await foreach (var index in storage.Keys.QueryAsync<TableEntity>(x => x.PartitionKey == EmailPartition(email), cancellationToken: cancellationToken))
        {
            if (index.GetString("AccountId") is { } accountId
                && await GetInvitationAsync(accountId, index.RowKey, cancellationToken) is { } invitation
                && string.Equals(invitation.Email, email.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                found.Add(invitation);
            }
        }
        return found;
    }

    public async Task<bool> TryDeleteInvitationAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        var response = await storage.Keys.DeleteEntityAsync(KeyStore.PartitionOf(invitation.AccountId), invitation.Id, invitation.ETag, cancellationToken);
        await storage.Keys.DeleteEntityAsync(EmailPartition(invitation.Email), invitation.Id, ETag.All, cancellationToken);
        return response.Status != 404;
    }

    /// <summary>Deletes every member and invitation of an account with their index entries (indexes first, records
    /// last, so a run cut off finds the rest next time), within the purge run's budget. Returns the entities deleted.</summary>
    public async Task<long> DeleteAllAsync(string accountId, PurgeRun run, CancellationToken cancellationToken)
    {
        long deleted = 0;
        foreach (var (prefix, what) in new[] { (MemberIds.Prefix, "members"), (MemberIds.InvitationPrefix, "invitations") })
        {
            while (!run.BudgetExhausted)
            {
                var page = new List<TableEntity>();
                await foreach (var e in storage.Keys.QueryAsync<TableEntity>(Rows(accountId, prefix), maxPerPage: run.BatchSize, cancellationToken: cancellationToken))
                {
                    page.Add(e);
                    if (page.Count >= run.BatchSize)
                    {
                        break;
                    }
                }
                if (page.Count == 0)
                {
                    break;
                }
                foreach (var e in page)
                {
                    var (indexPk, indexRk) = prefix == MemberIds.Prefix
                        ? (PersonPartition(e.GetString("PersonId") ?? ""), accountId)
                        : (EmailPartition(e.GetString("Email") ?? ""), e.RowKey);
                    var n = Deleted(await storage.Keys.DeleteEntityAsync(indexPk, indexRk, ETag.All, cancellationToken));
                    n += Deleted(await storage.Keys.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken));
                    run.CountDeleted(what, n);
                    deleted += n;
                }
            }
        }
        return deleted;

        static int Deleted(Response response) => response.Status == 404 ? 0 : 1;
    }

    /// <summary>The rows of one kind in an account's partition: RowKeys from <paramref name="prefix"/> up to the next prefix.</summary>
    private static string Rows(string accountId, string prefix) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {KeyStore.PartitionOf(accountId)} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "`"}");

    private static TableEntity ToEntity(Member m) => new(KeyStore.PartitionOf(m.AccountId), m.Id)
    {
        ["AccountId"] = m.AccountId,
        ["PersonId"] = m.PersonId,
        ["Issuer"] = m.Issuer,
        ["Subject"] = m.Subject,
        ["Name"] = m.Name,
        ["Email"] = m.Email,
        ["Role"] = m.Role.ToWire(),
        ["JoinedAt"] = m.JoinedAt,
    };

    private static Member FromEntity(TableEntity e) => new()
    {
        AccountId = e.GetString("AccountId") ?? "",
        PersonId = e.GetString("PersonId") ?? "",
        Issuer = e.GetString("Issuer") ?? "",
        Subject = e.GetString("Subject") ?? "",
        Name = e.GetString("Name"),
        Email = e.GetString("Email"),
        Role = KeyRoleNames.Parse(e.GetString("Role")),
        JoinedAt = e.GetDateTimeOffset("JoinedAt") ?? default,
        ETag = e.ETag,
    };

    private static TableEntity ToEntity(Invitation i) => new(KeyStore.PartitionOf(i.AccountId), i.Id)
    {
        ["AccountId"] = i.AccountId,
        ["Email"] = i.Email,
        ["Role"] = i.Role.ToWire(),
        ["InvitedBy"] = i.InvitedBy,
        ["CreatedAt"] = i.CreatedAt,
        ["ExpiresAt"] = i.ExpiresAt,
    };

    private static Invitation InvitationFromEntity(TableEntity e) => new()
    {
        Id = e.RowKey,
        AccountId = e.GetString("AccountId") ?? "",
        Email = e.GetString("Email") ?? "",
        Role = KeyRoleNames.Parse(e.GetString("Role")),
        InvitedBy = e.GetString("InvitedBy") ?? "",
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        ExpiresAt = e.GetDateTimeOffset("ExpiresAt") ?? default,
        ETag = e.ETag,
    };
}
