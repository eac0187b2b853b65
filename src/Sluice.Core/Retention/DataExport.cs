using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Accounts;
using Sluice.FairUse;
using Sluice.Payloads;
using Sluice.Stamp;
using Sluice.Storage;
using Sluice.Usage;

namespace Sluice.Retention;

/// <summary>
/// <c>GET /v1/account/export</c>, for Owner and Admin keys, also while the account is closed (so closing is not a
/// trap): everything stored for the caller's account as NDJSON, one object per line with a <c>type</c>:
/// <c>export</c> (account id, data region, time), <c>account</c> (settings), <c>limits</c> (budgets and rate limits),
/// <c>member</c> and <c>invitation</c> (the people of the account), <c>usage</c> (every row), <c>rollup</c>
/// (every day and model), <c>payload</c> (each stored request and response, decrypted), <c>audit</c> (every audit entry,
/// settings changes included), and a closing <c>end</c> line with the counts, so a cut-off download is detectable.
/// Written as it is read: one row or one payload in memory at a time.
/// </summary>
public sealed partial class DataExport(
    GatewayAuthenticator authenticator,
    AccountStore accounts,
    UsageTable usage,
    RollupTable rollups,
    PayloadStore payloads,
    AuditLog audit,
    LimitStore limits,
    IOptions<FairUseOptions> fairUse,
    MemberStore members,
    IOptions<StampOptions> stamp,
    IOptions<AccountOptions> accountOptions,
    TimeProvider time,
    ILogger<DataExport> logger)
{
    private const int FlushEvery = 100;
    private static ReadOnlySpan<byte> NewLine => "\n"u8;

    public async Task<IResult> ExportAsync(HttpContext context)
    {
        return (await authenticator.AuthenticateAdminAsync(context, CallerPurpose.ReadOwnData, "export the account's data")).TryGet(out var caller, out var error)
            ? await ExportAsync(context, caller)
            : error;
    }

    /// <summary>Writes the export for an authenticated Owner or Admin, key or member (the dashboard's download).</summary>
    public async Task<IResult> ExportAsync(HttpContext context, Caller caller)
    {
        var ct = context.RequestAborted;
        var account = await accounts.GetAsync(caller.Account.Id, ct) ?? caller.Account;
        var now = time.GetUtcNow();
        await audit.WriteAsync(account.Id, caller.Actor, "data.exported", account.Id, caller.ClientIp, null, CancellationToken.None);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/x-ndjson; charset=utf-8";
        response.Headers.ContentDisposition = string.Create(CultureInfo.InvariantCulture, $"attachment; filename=\"sluice-export-{account.Id}-{now:yyyyMMdd}.ndjson\"");
        response.Headers.CacheControl = "no-store";
        var writer = new Lines(response, RetentionJson.Wire.Options.Encoder!);

        writer.Begin("export");
        writer.Json.WriteString("format", "sluice-export-v1");
        writer.Json.WriteString("account_id", account.Id);
        writer.Json.WriteString("data_region", stamp.Value.DataRegion);
        writer.Json.WriteString("generated_at", now);
        writer.End();

        writer.Begin("account");
        writer.Data(AccountView.From(account, accountOptions.Value), RetentionJson.Wire.AccountView);
        writer.End();

        writer.Begin("limits");
        writer.Data(LimitHandlers.View(account.Id, await limits.ReadAsync(account.Id, ct), fairUse.Value), FairUseJson.Wire.AccountLimitsView);
        writer.End();

        long rows = 0, rollupCount = 0, payloadCount = 0, auditCount = 0, memberCount = 0;
        await foreach (var member in members.ListAsync(account.Id, ct))
        {
            writer.Begin("member");
            writer.Json.WriteString("member_id", member.Id);
            writer.Json.WriteString("issuer", member.Issuer);
            writer.Json.WriteString("subject", member.Subject);
            writer.Json.WriteString("name", member.Name);
            writer.Json.WriteString("email", member.Email);
            writer.Json.WriteString("role", member.Role.ToWire());
            writer.Json.WriteString("joined_at", member.JoinedAt);
            writer.End();
            memberCount++;
        }
        await foreach (var invitation in members.ListInvitationsAsync(account.Id, ct))
        {
            writer.Begin("invitation");
            writer.Json.WriteString("invitation_id", invitation.Id);
            writer.Json.WriteString("email", invitation.Email);
            writer.Json.WriteString("role", invitation.Role.ToWire());
            writer.Json.WriteString("invited_by", invitation.InvitedBy);
            writer.Json.WriteString("expires_at", invitation.ExpiresAt);
            writer.End();
            memberCount++;
        }

        await foreach (var record in usage.AllRowsAsync(account.Id, ct))
        {
            writer.Begin("usage");
            writer.Data(UsageRowView.From(record), UsageJson.Wire.UsageRowView);
            writer.End();
            await writer.MaybeFlushAsync(++rows, ct);
        }

        var firstDay = DateOnly.FromDateTime(account.CreatedAt.UtcDateTime).AddDays(-1);
        foreach (var rollup in await rollups.TotalsAsync(account.Id, firstDay, DateOnly.FromDateTime(now.UtcDateTime), ct))
        {
            writer.Begin("rollup");
            writer.Data(RollupView.From(rollup), UsageJson.Wire.RollupView);
            writer.End();
            await writer.MaybeFlushAsync(++rollupCount, ct);
        }

        // Listed by name prefix rather than by tag: the export must show every blob of the account, due or not.
        await foreach (var (id, blobName) in payloads.ListAsync(account.Id, ct))
        {
            var (plaintext, failure) = await payloads.ReadAsync(account.Id, id, ct);
            using (plaintext)
            {
                if (plaintext is null && failure is null)
                {
                    continue;
                }
                writer.Begin("payload");
                writer.Json.WriteString("request_id", id.Value);
                writer.Json.WriteString("blob", blobName);
                if (plaintext is not null)
                {
                    writer.Json.WritePropertyName("content");
                    writer.Json.WriteRawValue(plaintext.Json.Span);
                }
                else
                {
                    writer.Json.WriteString("error", failure!.Value.ToCode());
                }
                writer.End();
            }
            await writer.FlushAsync(ct);
            payloadCount++;
        }

        await foreach (var entry in audit.QueryAsync(account.Id, DateTimeOffset.MinValue, now, ct))
        {
            writer.Begin("audit");
            writer.Data(entry, RetentionJson.Wire.AuditEntry);
            writer.End();
            await writer.MaybeFlushAsync(++auditCount, ct);
        }

        writer.Begin("end");
        writer.Json.WriteNumber("usage", rows);
        writer.Json.WriteNumber("rollups", rollupCount);
        writer.Json.WriteNumber("payloads", payloadCount);
        writer.Json.WriteNumber("audit", auditCount);
        writer.Json.WriteNumber("members", memberCount);
        writer.End();
        await writer.FlushAsync(ct);
        Log.Exported(logger, account.Id, rows, rollupCount, payloadCount, auditCount);
        return Results.Empty;
    }

    /// <summary>NDJSON on the response's pipe: one JSON writer, reset after each line.</summary>
    private sealed class Lines(HttpResponse response, System.Text.Encodings.Web.JavaScriptEncoder encoder)
    {
        public Utf8JsonWriter Json { get; } = new(response.BodyWriter, new JsonWriterOptions { Encoder = encoder });

        public void Begin(string type)
        {
            Json.WriteStartObject();
            Json.WriteString("type", type);
        }

        public void Data<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        {
            Json.WritePropertyName("data");
            JsonSerializer.Serialize(Json, value, type);
        }

        public void End()
        {
            Json.WriteEndObject();
            Json.Flush();
            response.BodyWriter.Write(NewLine);
            Json.Reset();
        }

        public async Task MaybeFlushAsync(long count, CancellationToken cancellationToken)
        {
            if (count % FlushEvery == 0)
            {
                await FlushAsync(cancellationToken);
            }
        }

        public async Task FlushAsync(CancellationToken cancellationToken) => await response.BodyWriter.FlushAsync(cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Exported account {AccountId}: {Rows} usage rows, {Rollups} rollups, {Payloads} payloads, {Audit} audit entries.")]
        public static partial void Exported(ILogger logger, string accountId, long rows, long rollups, long payloads, long audit);
    }
}
