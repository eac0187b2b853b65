using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Wire;

/// <summary>
/// Any path or method no route serves gets OpenAI's answer to an unknown URL: 404, <c>invalid_request_error</c>,
/// code <c>unknown_url</c>, rather than an empty 404 or 405 that an OpenAI SDK would report as an opaque failure. The
/// local host maps it as its lowest-precedence route; the Functions app as a catch-all function.
/// </summary>
public static class UnknownUrl
{
    public static IResult Handle(HttpContext context) => ApiError.UnknownUrl(context.Request.Method, context.Request.Path.Value);

    /// <summary>Maps the catch-all for every method. A catch-all parameter ranks below every other template, and a
    /// known path asked with another method falls through to it too (no 405 is produced while it matches).</summary>
    public static IEndpointRouteBuilder MapSluiceUnknownUrl(this IEndpointRouteBuilder app)
    {
        app.Map("/" + SluiceRoutes.UnknownUrl, Handle);
        return app;
    }
}
