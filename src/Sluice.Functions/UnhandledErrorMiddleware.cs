using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>
/// The Functions app's counterpart of the local host's <see cref="UnhandledErrors.UseSluiceErrors"/>: an exception no
/// handler expected is answered in OpenAI's error shape with a fixed message, rather than as the Functions host's bare
/// 500. (The local host's exception handler logs the exception the same way.)
/// </summary>
internal sealed partial class UnhandledErrorMiddleware(ILogger<UnhandledErrorMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.GetHttpContext() is { } http && !http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            Log.Unhandled(logger, context.FunctionDefinition.Name, e);
            await UnhandledErrors.WriteAsync(http, e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Function {Function} failed with an unhandled exception; answered in OpenAI's error shape.")]
        public static partial void Unhandled(ILogger logger, string function, Exception exception);
    }
}
