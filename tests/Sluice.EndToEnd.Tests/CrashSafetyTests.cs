using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Sluice.Testing;

namespace Sluice.EndToEnd.Tests;

/// <summary>
/// "No answered request without a row", across a crash: the local host runs as its own process in the Functions
/// setting (each request waits for its row), 32 clients send requests (half of them streams), and the process is
/// killed (SIGKILL, no shutdown code runs) while they do. Every request a client received whole must have its row.
/// </summary>
public sealed class CrashSafetyTests
{
    private const int Clients = 32;
    private const int AnsweredBeforeKill = 400;

    [Fact]
    public async Task KillingTheHostMidLoad_LeavesNoAnsweredRequestWithoutItsRow()
    {
        var name = Azurite.UniqueName();
        var port = FreePort();
        // The host's own process cannot be handed the tests' token credential: it runs the dev path (a connection string).
        var storage = await Azurite.DevConnectionStringAsync();
        using var host = StartHost(name, port, storage);
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients, UseProxy = false })
            {
                BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
                Timeout = TimeSpan.FromSeconds(30),
            };
            var (accountId, key) = await CreateAccountAsync(http, host);

            var answered = new ConcurrentBag<string>();
            var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => SendUntilDeadAsync(http, key, stream: i % 2 == 1, answered, enough)))
                .ToArray();
            await enough.Task.WaitAsync(TimeSpan.FromSeconds(20));

            host.Kill();
            await host.WaitForExitAsync();
            await Task.WhenAll(clients);

            var rows = await RequestIdsWithRowsAsync(storage, name, accountId);
            var missing = answered.Where(id => !rows.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} answered requests have no usage row.");
            Assert.True(answered.Count >= AnsweredBeforeKill);
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Sends requests until the host is gone, adding the id of each answer read whole: a JSON body of its full
    /// length, or a stream to its <c>[DONE]</c> and its end.</summary>
    private static async Task SendUntilDeadAsync(HttpClient http, string key, bool stream, ConcurrentBag<string> answered, TaskCompletionSource enough)
    {
        var body = $$"""{"model":"mock","stream":{{(stream ? "true" : "false")}},"max_tokens":8,"messages":[{"role":"user","content":"crash"}]}""";
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new("Bearer", key);
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var whole = response.StatusCode == HttpStatusCode.OK && (stream ? text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal) : IsJson(text));
                Assert.True(whole, $"{(int)response.StatusCode}: {text}");
                answered.Add(response.Headers.GetValues("x-request-id").Single());
                if (answered.Count >= AnsweredBeforeKill)
                {
                    enough.TrySetResult();
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                // The host is gone (or going): this request was not answered.
                return;
            }
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            JsonDocument.Parse(text).Dispose();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The local host as its own process, built next to the tests, with the Functions app's metering settings.</summary>
    private static Process StartHost(string name, int port, string storage)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sluice.Host.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Sluice__Storage__ConnectionString"] = storage;
        start.Environment["Sluice__Storage__TablePrefix"] = name;
        start.Environment["Sluice__Storage__PayloadContainer"] = name + "-payloads";
        start.Environment["Sluice__Storage__LockContainer"] = name + "-locks";
        start.Environment["Sluice__Operator__Secret"] = SluiceApplication.OperatorSecret;
        start.Environment["Sluice__Payloads__MasterKey"] = Convert.ToBase64String(new byte[32]);
        start.Environment["Sluice__Host__SchedulerEnabled"] = "false";
        // The Functions app's setting: every request waits for its row (the local host's own default does not).
        start.Environment["Sluice__Usage__WaitForCommit"] = "true";
        start.Environment["Sluice__Usage__GatherDelay"] = "00:00:00";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(string AccountId, string Key)> CreateAccountAsync(HttpClient http, Process host)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "operator/accounts") { Content = JsonContent.Create(new { name = "crash" }) };
                request.Headers.Authorization = new("Bearer", SluiceApplication.OperatorSecret);
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                var created = await response.Content.ReadFromJsonAsync<JsonElement>();
                return (created.GetProperty("account").GetProperty("id").GetString()!, created.GetProperty("key").GetProperty("key").GetString()!);
            }
            catch (HttpRequestException) when (!host.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<HashSet<string>> RequestIdsWithRowsAsync(string storage, string name, string accountId)
    {
        var table = new TableServiceClient(storage).GetTableClient(name + "usage");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"AccountId eq {accountId}"), select: ["RequestId"]))
        {
            if (row.GetString("RequestId") is { } id)
            {
                ids.Add(id);
            }
        }
        return ids;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
