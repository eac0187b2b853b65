using System.Net;
using System.Text.RegularExpressions;

namespace Sluice.Testing.SignIn;

/// <summary>
/// A browser as far as cookies and redirects go: one cookie jar across Sluice and the identity provider, redirects
/// followed one by one (so every response is seen), and every <c>Set-Cookie</c> Sluice sends recorded for the tests
/// that hold the cookies to the documented list.
/// </summary>
public sealed partial class DashboardBrowser : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _sluice;
    private readonly List<string> _setCookies = [];

    public DashboardBrowser(Uri sluice, HttpMessageHandler? inner = null)
    {
        _sluice = sluice;
        Cookies = new CookieContainer();
        var handler = inner as SocketsHttpHandler ?? new SocketsHttpHandler();
        handler.AllowAutoRedirect = false;
        handler.UseCookies = true;
        handler.CookieContainer = Cookies;
        _http = new HttpClient(handler);
    }

    public CookieContainer Cookies { get; }

    /// <summary>Every Set-Cookie header Sluice has sent to this browser, in order.</summary>
    public IReadOnlyList<string> SetCookies => _setCookies;

    /// <summary>The session cookie this browser holds for Sluice, if any.</summary>
    public Cookie? SessionCookie => Cookies.GetCookies(new Uri(_sluice, "dashboard")).FirstOrDefault(c => c.Name == Sluice.SignIn.SignInCookies.Session);

    public Task<Page> GetAsync(string pathOrUrl) => SendAsync(HttpMethod.Get, Resolve(pathOrUrl), form: null);

    public Task<Page> PostFormAsync(string pathOrUrl, IEnumerable<KeyValuePair<string, string>> form) => SendAsync(HttpMethod.Post, Resolve(pathOrUrl), form);

    /// <summary>Sends one request and follows redirects with GETs; returns every step.</summary>
    public async Task<Page> SendAsync(HttpMethod method, Uri url, IEnumerable<KeyValuePair<string, string>>? form)
    {
        var steps = new List<Step>();
        HttpContent? content = form is null ? null : new FormUrlEncodedContent(form);
        for (var hop = 0; hop < 10; hop++)
        {
            using var request = new HttpRequestMessage(method, url) { Content = content };
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var setCookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
            if (url.Authority == _sluice.Authority)
            {
                _setCookies.AddRange(setCookies);
            }
            steps.Add(new Step(method, url, response.StatusCode, response.Headers.Location, setCookies, body,
                response.Content.Headers.ContentType?.ToString(), response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase)));
            if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is null)
            {
                break;
            }
            url = new Uri(url, response.Headers.Location);
            method = HttpMethod.Get;
            content = null;
        }
        return new Page(steps);
    }

    /// <summary>The whole sign-in as a person would do it: the dashboard, the provider's button, the provider's login
    /// page, the person's button; returns the final page.</summary>
    public async Task<Page> SignInAsync(string provider, string person)
    {
        var signInPage = await GetAsync("dashboard/signin");
        var toProvider = await PostFormAsync($"dashboard/signin/{provider}", [signInPage.Last.Csrf()]);
        var login = toProvider.Last;
        if (login.Status != HttpStatusCode.OK || !login.Body.Contains(Sluice.Host.Dev.DevIdentityProvider.PersonField, StringComparison.Ordinal))
        {
            return toProvider;
        }
        var fields = login.HiddenFields().Append(KeyValuePair.Create(Sluice.Host.Dev.DevIdentityProvider.PersonField, person));
        var back = await PostFormAsync(new Uri(login.Url, login.FormAction()).ToString(), fields);
        return new Page([.. toProvider.Steps, .. back.Steps]);
    }

    /// <summary>Signs out with the button of the current dashboard page.</summary>
    public async Task<Page> SignOutAsync()
    {
        var home = await GetAsync("dashboard");
        return await PostFormAsync("dashboard/signout", [home.Last.Csrf()]);
    }

    private Uri Resolve(string pathOrUrl) =>
        Uri.TryCreate(pathOrUrl, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" ? absolute : new Uri(_sluice, pathOrUrl);

    public void Dispose() => _http.Dispose();

    /// <summary>One request and its response.</summary>
    public sealed record Step(HttpMethod Method, Uri Url, HttpStatusCode Status, Uri? Location, IReadOnlyList<string> SetCookies, string Body,
        string? ContentType, IReadOnlyDictionary<string, string> Headers)
    {
        /// <summary>The page's anti-forgery field (name and value).</summary>
        public KeyValuePair<string, string> Csrf()
        {
            var match = CsrfInput().Match(Body);
            Xunit.Assert.True(match.Success, $"No anti-forgery field on {Url}:\n{Body}");
            return KeyValuePair.Create(Sluice.Dashboard.DashboardForms.FieldName, WebUtility.HtmlDecode(match.Groups["value"].Value));
        }

        public IEnumerable<KeyValuePair<string, string>> HiddenFields() =>
            HiddenInput().Matches(Body).Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value)));

        public string FormAction() => WebUtility.HtmlDecode(FormActionAttribute().Match(Body).Groups["action"].Value);

        public override string ToString() => $"{Method} {Url} -> {(int)Status} {Location}";
    }

    /// <summary>A request's steps, redirects included; <see cref="Last"/> is what the browser shows.</summary>
    public sealed record Page(IReadOnlyList<Step> Steps)
    {
        public Step Last => Steps[^1];

        public IEnumerable<string> SetCookies => Steps.SelectMany(s => s.SetCookies);

        public override string ToString() => string.Join(Environment.NewLine, Steps);
    }

    [GeneratedRegex("name=\"__sluice_csrf\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex CsrfInput();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("<form method=\"post\" action=\"(?<action>[^\"]*)\"")]
    private static partial Regex FormActionAttribute();
}
