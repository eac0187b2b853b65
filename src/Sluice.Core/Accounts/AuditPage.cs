namespace Sluice.Accounts;

/// <summary>
/// One page of an account's audit entries, newest (latest action) first: the reading of the audit log that
/// <c>GET /v1/audit</c> and the dashboard's Audit log page share. <see cref="HasMore"/> says the range holds entries
/// after this page.
/// </summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, bool HasMore)
{
    /// <summary>The entries of [<paramref name="from"/>, <paramref name="to"/>] after the newest <paramref name="skip"/>,
    /// at most <paramref name="take"/> of them.</summary>
    /// <remarks>The log comes back by RowKey, which is a coalesced entry's window start, not its time: an entry can
    /// follow one older than itself, by less than <see cref="AuditLog.MaxCoalesceWindow"/>. So the reading goes on past
    /// the entries it needs until one is older than the page's end by that window, and later ones cannot belong to the
    /// page: pages are exact and consecutive pages neither repeat nor skip an entry.</remarks>
    public static async Task<AuditPage> ReadAsync(AuditLog audit, string accountId, DateTimeOffset from, DateTimeOffset to, int skip, int take,
        CancellationToken cancellationToken)
    {
        var need = skip + take;
        var read = new List<AuditEntry>();
        // The latest action times of the newest `need` entries read so far; its minimum is the end of the page.
        var newest = new PriorityQueue<bool, DateTimeOffset>();
        var more = false;
        await foreach (var entry in audit.QueryAsync(accountId, from, to, cancellationToken))
        {
            if (newest.Count == need && newest.TryPeek(out _, out var pageEnd) && entry.Time + AuditLog.MaxCoalesceWindow <= pageEnd)
            {
                more = true;
                break;
            }
            read.Add(entry);
            newest.Enqueue(true, Latest(entry));
            if (newest.Count > need)
            {
                newest.Dequeue();
            }
        }
        var ordered = read.OrderByDescending(Latest).ToList();
        return new([.. ordered.Skip(skip).Take(take)], more || ordered.Count > need);
    }

    private static DateTimeOffset Latest(AuditEntry entry) => entry.LastTime ?? entry.Time;
}
