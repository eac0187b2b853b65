using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Dashboard;
using Sluice.SignIn;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The dashboard and its sign-in. The worker has no authentication or anti-forgery middleware; the handlers
/// do both explicitly, as on the local host (the OpenID Connect callback runs the provider's remote handler itself).</summary>
public sealed class DashboardFunctions(DashboardHandlers dashboard, SignInHandlers signIn)
{
    [Function(nameof(Dashboard))]
    public Task<IResult> Dashboard([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Dashboard)] HttpRequest request) =>
        dashboard.HomeAsync(request.HttpContext);

    [Function(nameof(DashboardAsset))]
    public static IResult DashboardAsset([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardAsset)] HttpRequest request, string file) =>
        DashboardHandlers.Asset(request.HttpContext, file);

    [Function(nameof(DashboardSignIn))]
    public Task<IResult> DashboardSignIn([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardSignIn)] HttpRequest request) =>
        signIn.SignInPageAsync(request.HttpContext);

    [Function(nameof(DashboardSignInStart))]
    public Task<IResult> DashboardSignInStart(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardSignInStart)] HttpRequest request, string provider) =>
        signIn.StartAsync(request.HttpContext, provider);

    [Function(nameof(DashboardSignInCallback))]
    public Task<IResult> DashboardSignInCallback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.DashboardSignInCallback)] HttpRequest request, string provider) =>
        signIn.CallbackAsync(request.HttpContext, provider);

    [Function(nameof(DashboardSignOut))]
    public Task<IResult> DashboardSignOut([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SluiceRoutes.DashboardSignOut)] HttpRequest request) =>
        signIn.SignOutAsync(request.HttpContext);
}
