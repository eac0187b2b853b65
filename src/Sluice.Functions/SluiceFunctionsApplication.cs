using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Sluice.SignIn;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The Functions app's composition, in one place: Program.cs runs it and the tests build it.</summary>
public static class SluiceFunctionsApplication
{
    /// <summary>ASP.NET Core integration (the worker's own Kestrel serves the HTTP functions) around the services both
    /// hosts share, Kestrel's body limit included, the <c>x-request-id</c> every response carries, and an unexpected
    /// exception answered in OpenAI's error shape, as on the local host. Dashboard cookies are always <c>Secure</c>
    /// here: the app is HTTPS-only. (The dev sign-in provider lives in the local host only; nothing here can start
    /// it.)</summary>
    public static FunctionsApplicationBuilder ConfigureSluiceFunctions(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        builder.UseMiddleware<RequestIdMiddleware>();
        builder.UseMiddleware<UnhandledErrorMiddleware>();
        builder.Services.AddSluice();
        builder.Services.RequireSecureSignInCookies();
        return builder;
    }
}
