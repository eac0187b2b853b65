using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Sluice.Wire;

/// <summary>
/// Every response of both hosts carries an <c>x-request-id</c>, as OpenAI's do, so a caller can quote it. A handler
/// that has its own id sets the header itself (the proxy's is its usage row's id); every other response gets a new
/// one just before its headers go out. The local host applies this as ASP.NET Core middleware, the Functions app from
/// its worker middleware: one piece, the same behaviour.
/// </summary>
public static class RequestIdHeader
{
    public const string Name = "x-request-id";

    /// <summary>Makes sure the response will carry an id, whatever writes it (a handler, an error, a 404).</summary>
    public static void Ensure(HttpContext context, TimeProvider time) =>
        context.Response.OnStarting(static state =>
        {
            var (context, time) = ((HttpContext, TimeProvider))state;
            if (!context.Response.Headers.ContainsKey(Name))
            {
                context.Response.Headers[Name] = RequestId.New(time.GetUtcNow()).Value;
            }
            return Task.CompletedTask;
        }, (context, time));

    /// <summary>The local host's form: middleware ahead of every endpoint.</summary>
    public static IApplicationBuilder UseSluiceRequestIds(this IApplicationBuilder app)
    {
        var time = app.ApplicationServices.GetRequiredService<TimeProvider>();
        return app.Use((context, next) =>
        {
            Ensure(context, time);
            return next(context);
        });
    }
}
