using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.SignIn;

/// <summary>
/// Sluice's part of one provider's sign-in, after ASP.NET Core's handler has validated the ID token: the provider's
/// admission rules (<see cref="SignInPolicy"/>), the session's one small identity, and a refusal page for every way a
/// sign-in can fail. Nothing here logs or shows a token, a code or a claim value.
/// </summary>
internal sealed partial class SignInEvents(string provider, SignInProvider settings) : OpenIdConnectEvents
{
    public override Task TokenValidated(TokenValidatedContext context)
    {
        var (person, refusal) = SignInPolicy.Admit(provider, settings, context.Principal!);
        if (refusal is { } refused)
        {
            context.Fail(new SignInRefusedException(refused));
            return Task.CompletedTask;
        }
        // The session holds this person and nothing else from the token; it is never persistent (no Expires: it
        // ends with the browser) and never refreshed (its lifetime runs from sign-in).
        context.Principal = person!.ToPrincipal();
        context.Properties!.IsPersistent = false;
        context.Properties.AllowRefresh = false;
        Log.SignedIn(Logger(context.HttpContext), provider);
        return Task.CompletedTask;
    }

    public override Task AccessDenied(AccessDeniedContext context)
    {
        context.HandleResponse();
        return RefuseAsync(context.HttpContext, SignInRefusal.Cancelled, failure: null);
    }

    public override Task RemoteFailure(RemoteFailureContext context)
    {
        context.HandleResponse();
        return RefuseAsync(context.HttpContext, SignInPolicy.Classify(context.Failure), context.Failure);
    }

    private Task RefuseAsync(HttpContext context, SignInRefusal refusal, Exception? failure)
    {
        // The exception's type is logged, not its message: the message may quote the provider's error text.
        Log.Refused(Logger(context), provider, refusal, failure?.GetType().Name ?? "none");
        return context.RequestServices.GetRequiredService<ISignInRefusalPage>().Render(context, refusal).ExecuteAsync(context);
    }

    private static ILogger Logger(HttpContext context) => context.RequestServices.GetRequiredService<ILogger<SignInEvents>>();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "A person signed in to the dashboard with provider {Provider}.")]
        public static partial void SignedIn(ILogger logger, string provider);

        [LoggerMessage(2, LogLevel.Warning, "Dashboard sign-in with provider {Provider} refused: {Refusal} ({FailureType}).")]
        public static partial void Refused(ILogger logger, string provider, SignInRefusal refusal, string failureType);
    }
}
