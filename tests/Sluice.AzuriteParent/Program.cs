using Sluice.Host.Dev;

// Starts Azurite (in memory, or persistent in the folder given after the mode), prints its pid and connection string,
// then either waits to be killed ("wait") or returns at once ("exit"): in neither case does this process stop its
// Azurite, as a test host or dev run does not when it is killed or ends without disposing. Whatever stops Azurite
// then has to work without this process running any code.
var azurite = args is [_, var location]
    ? await AzuriteProcess.StartAsync(location, tls: null, defaultPorts: false, CancellationToken.None)
    : await AzuriteProcess.StartAsync(location: null);
Console.WriteLine($"azurite-pid {azurite.Pid}");
Console.WriteLine(azurite.ConnectionString);
if (args is ["wait", ..])
{
    await Task.Delay(Timeout.Infinite);
}
GC.KeepAlive(azurite);
