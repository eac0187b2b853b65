using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Sluice.Storage;

/// <summary>
/// Signs table requests with the account key (Shared Key Lite, as the Tables SDK does): HMAC-SHA256 over the date and
/// the canonicalized resource, <c>/{account}{encoded path}</c>. Path-style endpoints (Azurite,
/// <c>http://127.0.0.1:10002/devstoreaccount1</c>) carry the account in the path too, so it then appears twice.
/// Only used for <c>$batch</c>, whose URI has no <c>comp</c> parameter to canonicalize.
/// </summary>
internal sealed class SharedKeyLitePolicy(string accountName, byte[] accountKey) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        // Set on every attempt: a retry must carry a fresh date.
        var date = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        message.Request.Headers.SetValue("x-ms-date", date);
        message.Request.Headers.SetValue("Authorization", Authorization(accountName, accountKey, date, message.Request.Uri.Path));
    }

    /// <summary>The header value for a request at <paramref name="path"/> (escaped, as sent) dated <paramref name="date"/>.</summary>
    internal static string Authorization(string accountName, byte[] accountKey, string date, string path)
    {
        var signature = HMACSHA256.HashData(accountKey, Encoding.UTF8.GetBytes(date + "\n/" + accountName + path));
        return "SharedKeyLite " + accountName + ":" + Convert.ToBase64String(signature);
    }
}
