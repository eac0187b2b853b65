using System.Net;
using Yarp.ReverseProxy.Forwarder;

// A bare reverse-proxy hop (YARP's direct-forwarding sample): every request goes to --Upstream as is.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddHttpForwarder();
var app = builder.Build();
var upstream = app.Configuration["Upstream"] ?? throw new InvalidOperationException("Pass --Upstream http://127.0.0.1:port/");
var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ActivityHeadersPropagator = null,
    ConnectTimeout = TimeSpan.FromSeconds(15),
});
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
app.Map("/{**catch-all}", async (HttpContext context) =>
{
    await forwarder.SendAsync(context, upstream, invoker, ForwarderRequestConfig.Empty, HttpTransformer.Default);
});
app.Run();
