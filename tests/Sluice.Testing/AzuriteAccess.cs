using System.Collections.Concurrent;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Sluice.Host.Dev;
using Sluice.Storage;

namespace Sluice.Testing;

/// <summary>One storage request as it left a client: which service and operation, and how it was authorised.</summary>
public sealed record StorageRequest(string Method, string Endpoint, string Path, string Query, string? AuthorizationScheme, bool HasSignature,
    bool SetsTags, long? BodyBytes)
{
    /// <summary>Authorised the way a managed identity is: a bearer token, and no shared key or SAS besides.</summary>
    public bool IsBearerOnly => AuthorizationScheme == "Bearer" && !HasSignature;

    public override string ToString() => $"{Method} {Endpoint}{Path} ({AuthorizationScheme ?? "no Authorization"}{(HasSignature ? ", SAS" : "")})";
}

/// <summary>
/// Access to the tests' Azurite the way the app has it in Azure: HTTPS service URIs and a <see cref="Azure.Core.TokenCredential"/>,
/// no connection string. Its transport trusts exactly <see cref="TestCertificate"/> and records every request it sends,
/// so a test can prove that no client signed with a shared key or a SAS: Azure accounts have shared keys switched off,
/// and Azurite, unlike Azure, would still accept them.
/// </summary>
public sealed class AzuriteAccess : IDisposable
{
    private readonly ConcurrentQueue<StorageRequest> _requests = new();
    private readonly HttpClient _http;

    internal AzuriteAccess(AzuriteProcess azurite)
    {
        TableServiceUri = azurite.TableServiceUri;
        BlobServiceUri = azurite.BlobServiceUri;
        SharedKeyConnectionString = azurite.ConnectionString;
        _http = new HttpClient(new RecordingHandler(_requests) { InnerHandler = TestCertificate.CreateHandler() });
        Transport = new HttpClientTransport(_http);
    }

    public Uri TableServiceUri { get; }
    public Uri BlobServiceUri { get; }
    public AzuriteTokenCredential Credential { get; } = new();

    /// <summary>The same Azurite with its well-known account key: what no client may use here (only tests of the
    /// guard against shared keys take it). Azurite accepts it; Azure, with shared keys off, would not.</summary>
    public string SharedKeyConnectionString { get; }
    public HttpPipelineTransport Transport { get; }

    /// <summary>Every request sent through <see cref="Transport"/> so far.</summary>
    public IReadOnlyCollection<StorageRequest> Requests => _requests;

    /// <summary>Storage options on this access: the service URIs, the credential and the transport, and no
    /// connection string.</summary>
    public StorageOptions Options(string tablePrefix, Uri? tableServiceUri = null)
    {
        var options = new StorageOptions { TablePrefix = tablePrefix };
        Apply(options, tableServiceUri);
        return options;
    }

    /// <summary>Points <paramref name="options"/> at this access (optionally at a proxy in front of the Table service).</summary>
    public void Apply(StorageOptions options, Uri? tableServiceUri = null)
    {
        options.ConnectionString = null;
        options.TableServiceUri = tableServiceUri ?? TableServiceUri;
        options.BlobServiceUri = BlobServiceUri;
        options.Credential = Credential;
        options.Transport = Transport;
    }

    /// <summary>A table service client of the tests' own (to read what the app wrote), on the same path.</summary>
    public TableServiceClient Tables() => new(TableServiceUri, Credential, new TableClientOptions { Transport = Transport });

    public BlobServiceClient Blobs() => new(BlobServiceUri, Credential, new BlobClientOptions { Transport = Transport });

    /// <summary>Fails when any request went out signed otherwise than with a bearer token alone.</summary>
    public void AssertBearerOnly()
    {
        var others = _requests.Where(r => !r.IsBearerOnly).Take(5).ToList();
        if (others.Count > 0)
        {
            throw new Xunit.Sdk.XunitException(
                "Storage requests not authorised by a bearer token alone (Azure has shared keys off):\n  " + string.Join("\n  ", others));
        }
    }

    public void Dispose() => _http.Dispose();

    private sealed class RecordingHandler(ConcurrentQueue<StorageRequest> requests) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            long? bodyBytes = null;
            if (request.Content is { } content)
            {
                // Buffered to be measured; the request then goes out from the buffer, unchanged.
                await content.LoadIntoBufferAsync(cancellationToken);
                bodyBytes = content.Headers.ContentLength;
            }
            var scheme = request.Headers.TryGetValues("Authorization", out var values) && values.FirstOrDefault() is { } value
                ? value.Split(' ', 2)[0]
                : null;
            var signed = uri.Query.Contains("sig=", StringComparison.OrdinalIgnoreCase);
            requests.Enqueue(new StorageRequest(request.Method.Method, uri.GetLeftPart(UriPartial.Authority), uri.AbsolutePath,
                signed ? "" : Uri.UnescapeDataString(uri.Query), scheme, signed, request.Headers.Contains("x-ms-tags"), bodyBytes));
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
