using System.Net;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;
using Sluice.SignIn;
using Sluice.SignIn.KeyRing;
using Sluice.Testing;
using Sluice.Testing.SignIn;

namespace Sluice.Dashboard.Tests.SignIn;

/// <summary>The session after sign-in: its 24-hour limit on the server's clock, HTTPS, and the key ring that lets
/// every instance and every restart accept it (and nothing in storage that could forge it).</summary>
public sealed class SessionTests
{
    [Fact]
    public async Task ASession_IsAcceptedUntil24HoursAfterSignIn_ThenRefusedAndCleared_WhateverTheBrowserKeeps()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var sluice = await SignInFixture.StartSluiceAsync(time: time);
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);

        time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        var late = await browser.GetAsync("dashboard");
        time.Advance(TimeSpan.FromSeconds(1));
        var expired = await browser.GetAsync("dashboard");

        Assert.Equal(HttpStatusCode.OK, late.Last.Status);
        Assert.Contains("Signed in as Alice Example", late.Last.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, expired.Steps[0].Status);
        Assert.Equal("/dashboard/signin", expired.Last.Url.AbsolutePath);
        var cleared = Assert.Single(expired.Steps[0].SetCookies.Select(c => SetCookieHeaderValue.Parse(c)), c => c.Name == SignInCookies.Session);
        Assert.True(string.IsNullOrEmpty(cleared.Value.Value));
        Assert.Null(browser.SessionCookie);
    }

    [Fact]
    public async Task OverHttps_EveryDashboardCookieIsSecure()
    {
        var tls = TestCertificate.AzuriteFiles;
        await using var sluice = await SignInFixture.StartSluiceAsync(new Dictionary<string, string?>
        {
            ["Urls"] = "https://127.0.0.1:0",
            ["Kestrel:Certificates:Default:Path"] = tls.CertificatePemPath,
            ["Kestrel:Certificates:Default:KeyPath"] = tls.KeyPemPath,
        });
        using var browser = new DashboardBrowser(sluice.BaseAddress, TestCertificate.CreateHandler());

        var page = await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
        await browser.SignOutAsync();

        Assert.Equal("https", sluice.BaseAddress.Scheme);
        Assert.Contains("Signed in as Alice Example", page.Last.Body, StringComparison.Ordinal);
        Assert.True(browser.SetCookies.Count >= 6, string.Join(Environment.NewLine, browser.SetCookies));
        Assert.All(browser.SetCookies, header => Assert.True(SetCookieHeaderValue.Parse(header).Secure, header));
    }

    [Fact]
    public async Task ASessionFromOneInstance_IsAcceptedByAnother_AndAfterARestart_ButNotUnderAnotherMasterKey()
    {
        var name = Azurite.UniqueName();
        var shared = new Dictionary<string, string?>
        {
            ["Sluice:Storage:TablePrefix"] = name,
            ["Sluice:Storage:PayloadContainer"] = name + "-payloads",
            ["Sluice:Storage:LockContainer"] = name + "-locks",
            ["Sluice:Storage:KeyRingContainer"] = name + "-keyring",
        };
        string session;
        await using (var first = await SignInFixture.StartSluiceAsync(shared))
        {
            using var browser = new DashboardBrowser(first.BaseAddress);
            await browser.SignInAsync(TestIdentityProvider.Name, TestIdentityProvider.Alice.Subject);
            session = browser.SessionCookie!.Value;

            await using var second = await SignInFixture.StartSluiceAsync(shared);
            Assert.Contains("Signed in as Alice Example", await DashboardWith(second, session), StringComparison.Ordinal);
        }
        await using (var restarted = await SignInFixture.StartSluiceAsync(shared))
        {
            Assert.Contains("Signed in as Alice Example", await DashboardWith(restarted, session), StringComparison.Ordinal);
        }
        var rotated = new Dictionary<string, string?>(shared) { ["Sluice:Payloads:MasterKey"] = Convert.ToBase64String(new byte[32]) };
        await using (var otherKey = await SignInFixture.StartSluiceAsync(rotated))
        {
            Assert.Contains("Sign in to Sluice", await DashboardWith(otherKey, session), StringComparison.Ordinal);
        }

        // At rest, every key in the ring is encrypted: no Data Protection master key in the clear.
        var blob = (await Azurite.BlobsAsync()).GetBlobContainerClient(name + "-keyring").GetBlobClient(BlobKeyRingRepository.BlobName);
        var xml = (await blob.DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains(KeyRingEncryptor.ElementName, xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
    }

    private static async Task<string> DashboardWith(SluiceApplication sluice, string session)
    {
        using var browser = new DashboardBrowser(sluice.BaseAddress);
        browser.Cookies.Add(new Uri(sluice.BaseAddress, "dashboard"), new Cookie(SignInCookies.Session, session, "/dashboard"));
        return (await browser.GetAsync("dashboard")).Last.Body;
    }
}
