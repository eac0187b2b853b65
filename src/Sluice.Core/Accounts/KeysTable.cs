using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Accounts;

/// <summary>
/// The keys table's layout, the one place that knows it. Every record of an account (keys, members, invitations) lives
/// in the account's partition <c>a|{account}</c>, its RowKey prefixed by kind (<c>key_</c>, <c>mem_</c>, <c>inv_</c>),
/// so a change and the Owner that vouches for it commit in one entity group transaction
/// (<see cref="TrySubmitAsync"/>). Three indexes lead to records from outside the account:
/// <list type="bullet">
/// <item><c>h|{sha256}</c>, RowKey <c>key</c>: a key's secret hash to its record (<see cref="KeyStore"/>);</item>
/// <item><c>p|{person}</c>, RowKey the account id: the accounts a person belongs to (<see cref="MemberStore"/>);</item>
/// <item><c>e|{email hash}</c>, RowKey the invitation id: the invitations waiting for an email.</item>
/// </list>
/// Records are authoritative; an index entry whose record is gone is ignored.
/// </summary>
public sealed class KeysTable(SluiceStorage storage)
{
    private const string HashRow = "key";

    private static string AccountPartition(string accountId) => "a|" + accountId;
    private static string HashPartition(string hash) => "h|" + hash;
    private static string PersonPartition(string personId) => "p|" + personId;
    private static string EmailPartition(string email) => "e|" + MemberIds.EmailHash(email);

    private TableClient Table => storage.Keys;

    // ---- account records ----

    /// <summary>A new, empty record in an account's partition; the store fills in its properties.</summary>
    internal static TableEntity Record(string accountId, string rowKey) => new(AccountPartition(accountId), rowKey);

    internal async Task<TableEntity?> GetRecordAsync(string accountId, string rowKey, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(AccountPartition(accountId), rowKey, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>The records of one kind in an account's partition: RowKeys from <paramref name="prefix"/> (ending in
    /// <c>_</c>) up to the next prefix.</summary>
    internal async IAsyncEnumerable<TableEntity> RecordsAsync(string accountId, string prefix, int? maxPerPage,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {AccountPartition(accountId)} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "`"}");
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, maxPerPage: maxPerPage, cancellationToken: cancellationToken))
        {
            yield return e;
        }
    }

    /// <summary>Adds a record; throws 409 when it exists.</summary>
    internal async Task<ETag> AddRecordAsync(TableEntity record, CancellationToken cancellationToken) =>
        (await Table.AddEntityAsync(record, cancellationToken)).Headers.ETag ?? default;

    /// <summary>Deletes a record if still at <paramref name="etag"/>; false when it was already gone.</summary>
    internal async Task<bool> DeleteRecordAsync(string accountId, string rowKey, ETag etag, CancellationToken cancellationToken) =>
        IsDeleted(await Table.DeleteEntityAsync(AccountPartition(accountId), rowKey, etag, cancellationToken));

    // ---- transactions within an account ----

    /// <summary>The action that replaces a record if it is still at the version it was read at.</summary>
    internal static TableTransactionAction Replace(TableEntity record, ETag etag) => new(TableTransactionActionType.UpdateReplace, record, etag);

    internal static TableTransactionAction Add(TableEntity record) => new(TableTransactionActionType.Add, record);

    internal static TableTransactionAction Delete(string accountId, string rowKey, ETag etag) =>
        new(TableTransactionActionType.Delete, Record(accountId, rowKey), etag);

    /// <summary>
    /// The witness protocol for any principal of an account (key or member): the changes and, when given, an unchanged
    /// rewrite of the witness (an empty merge conditional on its version), in one entity group transaction. Null when a
    /// condition failed (412), a record is gone (404) or an added one exists (409).
    /// </summary>
    internal async Task<IReadOnlyList<Response>?> TrySubmitAsync(List<TableTransactionAction> actions, OwnerWitness? witness,
        CancellationToken cancellationToken)
    {
        if (witness is { } w)
        {
            actions.Add(new(TableTransactionActionType.UpdateMerge, Record(w.AccountId, w.RowKey), w.ETag));
        }
        try
        {
            return (await Table.SubmitTransactionAsync(actions, cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404 or 409)
        {
            return null;
        }
    }

    // ---- the hash index ----

    internal Task AddHashIndexAsync(string hash, string keyId, string accountId, CancellationToken cancellationToken) =>
        Table.AddEntityAsync(new TableEntity(HashPartition(hash), HashRow)
        {
            ["KeyId"] = keyId,
            ["AccountId"] = accountId,
            ["Hash"] = hash,
        }, cancellationToken);

    internal async Task<TableEntity?> GetHashIndexAsync(string hash, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(HashPartition(hash), HashRow, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    internal async Task<bool> DeleteHashIndexAsync(string hash, CancellationToken cancellationToken) =>
        IsDeleted(await Table.DeleteEntityAsync(HashPartition(hash), HashRow, ETag.All, cancellationToken));

    // ---- the person index ----

    internal Task IndexPersonAsync(string personId, string accountId, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(new TableEntity(PersonPartition(personId), accountId), TableUpdateMode.Replace, cancellationToken);

    /// <summary>The account ids the person index lists for this person (their records may be gone).</summary>
    internal async IAsyncEnumerable<string> IndexedAccountsAsync(string personId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var index in Table.QueryAsync<TableEntity>(x => x.PartitionKey == PersonPartition(personId), cancellationToken: cancellationToken))
        {
            yield return index.RowKey;
        }
    }

    internal async Task<bool> UnindexPersonAsync(string personId, string accountId, CancellationToken cancellationToken) =>
        IsDeleted(await Table.DeleteEntityAsync(PersonPartition(personId), accountId, ETag.All, cancellationToken));

    // ---- the email index ----

    internal Task IndexEmailAsync(string email, string invitationId, string accountId, CancellationToken cancellationToken) =>
        Table.UpsertEntityAsync(new TableEntity(EmailPartition(email), invitationId) { ["AccountId"] = accountId },
            TableUpdateMode.Replace, cancellationToken);

    /// <summary>The (account, invitation) pairs the email index lists for this email (their records may be gone).</summary>
    internal async IAsyncEnumerable<(string AccountId, string InvitationId)> IndexedInvitationsAsync(string email,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var index in Table.QueryAsync<TableEntity>(x => x.PartitionKey == EmailPartition(email), cancellationToken: cancellationToken))
        {
            if (index.GetString("AccountId") is { } accountId)
            {
                yield return (accountId, index.RowKey);
            }
        }
    }

    internal async Task<bool> UnindexEmailAsync(string email, string invitationId, CancellationToken cancellationToken) =>
        IsDeleted(await Table.DeleteEntityAsync(EmailPartition(email), invitationId, ETag.All, cancellationToken));

    // DeleteEntityAsync answers a missing entity with its 404 response instead of throwing: already gone is fine.
    private static bool IsDeleted(Response response) => response.Status != 404;
}
