using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>
/// Members and invitations live in the account's partition of the keys table, beside its keys (RowKeys
/// <c>mem_{person}</c> and <c>inv_{id}</c>), so a change to a member and the Owner that vouches for it commit in one
/// entity group transaction (<see cref="KeysTable.TrySubmitAsync"/>). Two indexes lead to them from outside the
/// account: the accounts a person belongs to, and the invitations waiting for an email (layout in
/// <see cref="KeysTable"/>). The records are authoritative; an index entry whose record is gone is ignored, so every
/// write puts the record first and removes it last.
/// </summary>
public sealed class MemberStore(KeysTable table)
{

    public async Task<Member?> GetAsync(string accountId, string personId, CancellationToken cancellationToken)
    {
        if (!PersonId.IsValid(personId))
        {
            return null;
        }
        return await table.GetRecordAsync(accountId, MemberIds.Prefix + personId, cancellationToken) is { } e ? FromEntity(e) : null;
    }

    public async IAsyncEnumerable<Member> ListAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in table.RecordsAsync(accountId, MemberIds.Prefix, null, cancellationToken))
        {
            yield return FromEntity(e);
        }
    }

    /// <summary>The accounts this person is a member of, as their member records say now.</summary>
    public async Task<IReadOnlyList<Member>> MembershipsAsync(string personId, CancellationToken cancellationToken)
    {
        var found = new List<Member>();
        await foreach (var accountId in table.IndexedAccountsAsync(personId, cancellationToken))
        {
            if (await GetAsync(accountId, personId, cancellationToken) is { } member)
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
        var responses = await table.TrySubmitAsync([KeysTable.Replace(ToEntity(updated), updated.ETag)], witness, cancellationToken);
        return responses is null ? null : updated with { ETag = responses[0].Headers.ETag ?? default };
    }

    /// <summary>Removes a member if the record is still at the version read (and the witness unchanged); false when a
    /// condition failed.</summary>
    public async Task<bool> TryRemoveAsync(Member member, OwnerWitness? witness, CancellationToken cancellationToken)
    {
        var responses = await table.TrySubmitAsync([KeysTable.Delete(member.AccountId, member.Id, member.ETag)], witness, cancellationToken);
        if (responses is null)
        {
            return false;
        }
        await table.UnindexPersonAsync(member.PersonId, member.AccountId, cancellationToken);
        return true;
    }

    /// <summary>Turns an invitation into a member: the member is added and the invitation deleted in one transaction,
    /// so an invitation is used once. Null when the invitation changed or is gone, or the person is already a member.</summary>
    public async Task<Member?> TryAcceptAsync(Invitation invitation, Member member, CancellationToken cancellationToken)
    {
        var responses = await table.TrySubmitAsync(
        [
            KeysTable.Add(ToEntity(member)),
            KeysTable.Delete(invitation.AccountId, invitation.Id, invitation.ETag),
        ], null, cancellationToken);
        if (responses is null)
        {
            return null;
        }
        await table.IndexPersonAsync(member.PersonId, member.AccountId, cancellationToken);
        await table.UnindexEmailAsync(invitation.Email, invitation.Id, cancellationToken);
        return member with { ETag = responses[0].Headers.ETag ?? default };
    }

    /// <summary>Adds a member outright (the account's creator, the dev host's demo person); false when already one.</summary>
    public async Task<bool> TryAddAsync(Member member, CancellationToken cancellationToken)
    {
        try
        {
            await table.AddRecordAsync(ToEntity(member), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
        await table.IndexPersonAsync(member.PersonId, member.AccountId, cancellationToken);
        return true;
    }

    public async Task<Invitation> AddInvitationAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        var etag = await table.AddRecordAsync(ToEntity(invitation), cancellationToken);
        await table.IndexEmailAsync(invitation.Email, invitation.Id, invitation.AccountId, cancellationToken);
        return invitation with { ETag = etag };
    }

    public async Task<Invitation?> GetInvitationAsync(string accountId, string invitationId, CancellationToken cancellationToken)
    {
        if (!MemberIds.IsValidInvitationId(invitationId))
        {
            return null;
        }
        return await table.GetRecordAsync(accountId, invitationId, cancellationToken) is { } e ? InvitationFromEntity(e) : null;
    }

    public async IAsyncEnumerable<Invitation> ListInvitationsAsync(string accountId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in table.RecordsAsync(accountId, MemberIds.InvitationPrefix, null, cancellationToken))
        {
            yield return InvitationFromEntity(e);
        }
    }

    /// <summary>The invitations waiting for this email, in any account.</summary>
    public async Task<IReadOnlyList<Invitation>> InvitationsForAsync(string email, CancellationToken cancellationToken)
    {
        var found = new List<Invitation>();
        await foreach (var (accountId, invitationId) in table.IndexedInvitationsAsync(email, cancellationToken))
        {
            if (await GetInvitationAsync(accountId, invitationId, cancellationToken) is { } invitation
                && string.Equals(invitation.Email, email.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                found.Add(invitation);
            }
        }
        return found;
    }

    public async Task<bool> TryDeleteInvitationAsync(Invitation invitation, CancellationToken cancellationToken)
    {
        var deleted = await table.DeleteRecordAsync(invitation.AccountId, invitation.Id, invitation.ETag, cancellationToken);
        await table.UnindexEmailAsync(invitation.Email, invitation.Id, cancellationToken);
        return deleted;
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
                await foreach (var e in table.RecordsAsync(accountId, prefix, run.BatchSize, cancellationToken))
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
                    var n = (prefix == MemberIds.Prefix
                        ? await table.UnindexPersonAsync(e.GetString("PersonId") ?? "", accountId, cancellationToken)
                        : await table.UnindexEmailAsync(e.GetString("Email") ?? "", e.RowKey, cancellationToken)) ? 1 : 0;
                    n += await table.DeleteRecordAsync(accountId, e.RowKey, ETag.All, cancellationToken) ? 1 : 0;
                    run.CountDeleted(what, n);
                    deleted += n;
                }
            }
        }
        return deleted;
    }

    private static TableEntity ToEntity(Member m) => new(KeysTable.Record(m.AccountId, m.Id))
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

    private static TableEntity ToEntity(Invitation i) => new(KeysTable.Record(i.AccountId, i.Id))
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
