using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Sluice.Wire;

/// <summary>
/// The last line of the error mapping: an exception no handler expected (a bug) is answered in OpenAI's error shape
/// with a fixed message, never with the developer exception page (which lists the request's headers, the
/// <c>Authorization</c> key among them) and never with the exception's text. Errors the server reports while reading
/// a request keep their 4xx.
/// </summary>
public static class UnhandledErrors
{
    /// <summary>
    /// Answers every unhandled exception on the local host. Registered before the endpoints, so it sits inside the
    /// developer exception page that <c>WebApplication</c> puts first in Development and handles the exception
    /// before that page sees it. (ASP.NET Core's middleware logs the exception, and leaves a request whose client
    /// has gone, or whose answer has started, to the server to end.)
    /// </summary>
    public static IApplicationBuilder UseSluiceErrors(this IApplicationBuilder app) =>
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = context => WriteAsync(context, context.Features.Get<IExceptionHandlerFeature>()?.Error) });

    /// <summary>Writes the error for <paramref name="exception"/>; the response must not have started.</summary>
    public static Task WriteAsync(HttpContext context, Exception? exception) => (exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => ApiError.BodyTooLarge(),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => ApiError.BodyTooSlow(),
        BadHttpRequestException => ApiError.UnreadableBody(),
        _ => ApiError.Internal(),
    }).ExecuteAsync(context);
}
