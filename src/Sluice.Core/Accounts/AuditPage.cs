namespace Sluice.Accounts;

/// <summary>
/// One page of an account's audit entries, newest first: the reading of the audit log that <c>GET /v1/audit</c> and
/// the dashboard's Audit page share. <see cref="HasMore"/> says the range holds entries after this page.
/// </summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, bool HasMore)
{
    /// <summary>The entries of [<paramref name="from"/>, <paramref name="to"/>] after the first <paramref name="skip"/>,
    /// at most <paramref name="take"/> of them.</summary>
    public static async Task<AuditPage> ReadAsync(AuditLog audit, string accountId, DateTimeOffset from, DateTimeOffset to, int skip, int take,
        CancellationToken cancellationToken)
    {
        var entries = new List<AuditEntry>(Math.Min(take, 1000));
        var seen = 0;
        var more = false;
        await foreach (var entry in audit.QueryAsync(accountId, from, to, cancellationToken))
        {
            if (seen++ < skip)
            {
                continue;
            }
            if (entries.Count == take)
            {
                more = true;
                break;
            }
            entries.Add(entry);
        }
        // Rows come newest window first; within a window, order by the latest action.
        return new([.. entries.OrderByDescending(e => e.LastTime ?? e.Time)], more);
    }
}
