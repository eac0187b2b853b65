using Microsoft.Extensions.DependencyInjection;
using Sluice.SignIn;

namespace Sluice.Dashboard;

internal static class DashboardServices
{
    /// <summary>The dashboard's pages and handlers, on top of sign-in (which the dashboard uses, never the reverse).</summary>
    public static IServiceCollection AddSluiceDashboard(this IServiceCollection services)
    {
        services.AddSluiceSignIn(DashboardForms.FieldName, DashboardForms.HeaderName);
        services.AddSingleton<ISignInRefusalPage, RefusalPage>();
        services.AddSingleton<SignInHandlers>();
        services.AddSingleton<DashboardHandlers>();
        services.AddSingleton<MemberRequests>();
        services.AddSingleton<TeamHandlers>();
        services.AddSingleton<AccountDataHandlers>();
        services.AddRazorComponents();
        return services;
    }

    private sealed class RefusalPage : ISignInRefusalPage
    {
        public Microsoft.AspNetCore.Http.IResult Render(Microsoft.AspNetCore.Http.HttpContext context, SignInRefusal refusal) =>
            DashboardPages.SignInRefused(context, refusal);
    }
}
