using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice;
using Sluice.Proxy;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// An unexpected exception in any function is answered in OpenAI's error shape, as on the local host.
builder.UseMiddleware<Sluice.Functions.UnhandledErrorMiddleware>();
builder.Services.AddSluice();
// The worker's Kestrel would answer 500 past its 30 MB default; match it to the gateway's own limit, which answers 413.
builder.Services.AddSingleton<IConfigureOptions<KestrelServerOptions>>(sp => new ConfigureOptions<KestrelServerOptions>(kestrel =>
    kestrel.Limits.MaxRequestBodySize = sp.GetRequiredService<IOptions<ProxyOptions>>().Value.MaxRequestBodyBytes + 1));
builder.Build().Run();
