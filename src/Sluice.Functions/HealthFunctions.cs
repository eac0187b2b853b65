using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Sluice.Health;
using Sluice.Wire;

namespace Sluice.Functions;

/// <summary>Anonymous <c>GET /health</c>: whether storage answers, through the same handler the local host uses.</summary>
public sealed class HealthFunctions(HealthHandler health)
{
    [Function(nameof(Health))]
    public Task<IResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SluiceRoutes.Health)] HttpRequest request) =>
        health.HandleAsync(request.HttpContext);
}
