using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Sluice.Providers;
using Sluice.Wire;

namespace Sluice.Surfaces;

public static class SurfaceEndpoints
{
    /// <summary>Maps every API shape the gateway forwards for the local host, each to <see cref="GatewayFlow"/> with its
    /// <see cref="Surface"/> (the Functions app has one function per route, doing the same).</summary>
    public static IEndpointRouteBuilder MapSluiceSurfaces(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + SluiceRoutes.ChatCompletions, (HttpContext context, GatewayFlow flow, ChatCompletionsSurface surface) => flow.HandleAsync(context, surface));
        app.MapPost("/" + SluiceRoutes.Messages, (HttpContext context, GatewayFlow flow, MessagesSurface surface) => flow.HandleAsync(context, surface));
        app.MapPost("/" + SluiceRoutes.MessagesCountTokens, (HttpContext context, GatewayFlow flow, MessagesCountTokensSurface surface) => flow.HandleAsync(context, surface));
        app.MapPost("/" + SluiceRoutes.Embeddings, (HttpContext context, GatewayFlow flow, EmbeddingsSurface surface) => flow.HandleAsync(context, surface));
        return app;
    }

    public static IServiceCollection AddSluiceSurfaces(this IServiceCollection services)
    {
        services.AddSingleton<GatewayFlow>();
        services.AddSingleton<ChatCompletionsSurface>();
        services.AddSingleton<MessagesSurface>();
        services.AddSingleton<MessagesCountTokensSurface>();
        services.AddSingleton<EmbeddingsSurface>();
        return services;
    }
}
