using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Sluice.Functions;

FunctionsApplication.CreateBuilder(args).ConfigureSluiceFunctions().Build().Run();
