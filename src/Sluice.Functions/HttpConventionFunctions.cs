using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>The catch-all: any path or method no other function serves gets the local host's OpenAI-shaped 404.</summary>
public sealed class HttpConventionFunctions
{
    /// <summary>
    /// The Functions host does not rank routes as ASP.NET Core does: it tries them in the order of the functions' names
    /// (ordinal, case-insensitive) and takes the first that matches. This function's name must therefore sort after
    /// every other, or it would answer their requests; <c>Zz</c> makes sure it does (PublishedArtifactsTests checks it).
    /// </summary>
    [Function("ZzUnknownUrl")]
    public static IResult UnknownUrl(
        [HttpTrigger(AuthorizationLevel.Anonymous, Route = SluiceRoutes.UnknownUrl)] HttpRequest request) =>
        Sluice.Wire.UnknownUrl.Handle(request.HttpContext);
}

/// <summary>Gives every HTTP response an <c>x-request-id</c>, with the same piece the local host's middleware uses.</summary>
public sealed class RequestIdMiddleware(TimeProvider time) : IFunctionsWorkerMiddleware
{
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is { } http)
        {
            RequestIdHeader.Ensure(http, time);
        }
        return next(context);
    }
}
