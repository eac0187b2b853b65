using Sluice;
using Sluice.Host;
using Sluice.Proxy;
using Sluice.Wire;

// The local host: the same routes, handlers and timer jobs as the Azure Functions app, on Kestrel.
//   dotnet run --project src/Sluice.Host -- dev          Azurite + a demo account + the mock model, ready for curl
//   dotnet run --project src/Sluice.Host -- accounts …   operator commands for self-hosters (see --help)
var builder = WebApplication.CreateSlimBuilder(args);
var dev = args.Contains("dev") || builder.Configuration.GetValue<bool>("Sluice:Dev:Enabled");
if (dev)
{
    await DevEnvironment.PrepareAsync(builder);
}

builder.Services.AddSluice();
builder.AddSluiceLocalHost();

var app = builder.Build();
if (OperatorCli.IsCommand(args))
{
    return await OperatorCli.RunAsync(app.Services, args);
}

app.UseSluiceRequestIds();
// Before the endpoints: an unexpected exception is answered in OpenAI's error shape, even in Development.
app.UseSluiceErrors();
app.MapSluice();
if (dev)
{
    app.Lifetime.ApplicationStarted.Register(() => _ = DevEnvironment.AnnounceAsync(app));
}
await app.RunAsync();
return 0;

/// <summary>Visible to WebApplicationFactory in the end-to-end tests.</summary>
public partial class Program;
