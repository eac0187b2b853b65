using System.Net;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Sluice.Storage;

namespace Sluice.Core.Tests.Storage;

/// <summary>The usage writer signs <c>$batch</c> as the SDK does, for Azurite's path-style endpoint (also checked by
/// Azurite itself) and for Azure's host-style one (which no local test can reach).</summary>
public sealed class SharedKeyLitePolicyTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Theory]
    [InlineData("devstoreaccount1", "http://127.0.0.1:10002/devstoreaccount1", "/devstoreaccount1/$batch")]
    [InlineData("acct", "https://acct.table.core.windows.net", "/$batch")]
    public async Task BatchSignature_EqualsTheSdks(string account, string endpoint, string batchPath)
    {
        var capture = new Capture();
        var options = new TableClientOptions { Transport = new HttpClientTransport(new HttpClient(capture)) };
        var table = new TableClient($"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={Key};TableEndpoint={endpoint};", "sluiceusage", options);

        await Assert.ThrowsAnyAsync<Exception>(() => table.SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "r"))]));

        Assert.Equal(batchPath, capture.Path);
        Assert.Equal(capture.Authorization, SharedKeyLitePolicy.Authorization(account, Convert.FromBase64String(Key), capture.Date!, batchPath));
    }

    /// <summary>Records the SDK's request and refuses it, so nothing leaves the machine.</summary>
    private sealed class Capture : HttpMessageHandler
    {
        public string? Path { get; private set; }
        public string? Date { get; private set; }
        public string? Authorization { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Path = request.RequestUri!.AbsolutePath;
            Date = request.Headers.GetValues("x-ms-date").Single();
            Authorization = request.Headers.Authorization!.ToString();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden));
        }
    }
}
