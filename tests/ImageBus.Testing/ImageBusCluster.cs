using System.Net.Http.Json;
using ImageBus.Contracts;

namespace ImageBus.Testing;

/// <summary>
/// All five services as processes on the real RabbitMQ and PostgreSQL, each cluster in a database
/// and virtual host of its own and on free ports, so that clusters never see each other's work.
/// </summary>
public sealed class ImageBusCluster : IAsyncDisposable
{
    public const string FakeGeminiKey = "fake-key";

    readonly Dictionary<string, ServiceProcess> services = [];
    readonly Dictionary<string, string> environment;

    ImageBusCluster(TestDatabase database, TestVirtualHost virtualHost, BrokerPorts broker, string storageRoot, int gatewayPort,
        int fakeGeminiPort, IReadOnlyDictionary<string, string> overrides)
    {
        Database = database;
        VirtualHost = virtualHost;
        StorageRoot = storageRoot;
        GatewayUrl = $"http://127.0.0.1:{gatewayPort}";
        FakeGeminiUrl = $"http://127.0.0.1:{fakeGeminiPort}";
        Gateway = new HttpClient { BaseAddress = new Uri(GatewayUrl) };
        environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__ImageBus"] = database.ConnectionString,
            ["RabbitMq__Port"] = broker.Amqp.ToString(),
            ["RabbitMq__VirtualHost"] = virtualHost.Name,
            ["Storage__Root"] = storageRoot,
            ["Gemini__BaseUrl"] = FakeGeminiUrl,
            ["Gemini__ApiKey"] = FakeGeminiKey,
            ["FakeGemini__ApiKey"] = FakeGeminiKey,
            ["FakeGemini__LatencyMs"] = "200",
            ["FakeGemini__LatencyJitterMs"] = "50",
            ["Webhooks__GatewayBaseUrl"] = GatewayUrl,
            // Test webhook receivers listen on loopback, which the webhook address guard refuses otherwise.
            ["OutboundAddresses__AllowedHosts__0"] = "127.0.0.1/32",
            ["Logging__LogLevel__Default"] = "Information",
        };
        foreach (var (key, value) in overrides)
        {
            environment[key] = value;
        }
    }

    public static readonly string[] AllServices = ["FakeGemini", "Orchestrator", "Worker", "Notifier", "Gateway"];

    public TestDatabase Database { get; }
    public TestVirtualHost VirtualHost { get; }
    public string StorageRoot { get; }
    public string GatewayUrl { get; }
    public string FakeGeminiUrl { get; }
    public HttpClient Gateway { get; }

    /// <summary>Starts every service; <paramref name="settings"/> override configuration keys
    /// (as environment variables, e.g. <c>Worker__Concurrency</c>) for all of them. The cluster uses
    /// the shared broker and PostgreSQL server unless given ones of its own.</summary>
    public static async Task<ImageBusCluster> StartAsync(IReadOnlyDictionary<string, string>? settings = null, BrokerPorts? broker = null,
        int? postgresPort = null)
    {
        broker ??= TestServers.SharedBroker;
        var database = await TestDatabase.CreateAsync(postgresPort);
        var virtualHost = await TestVirtualHost.CreateAsync(broker);
        var storage = Directory.CreateTempSubdirectory("imagebus-blobs-").FullName;
        var cluster = new ImageBusCluster(database, virtualHost, broker, storage, FreePort.Next(), FreePort.Next(),
            settings ?? new Dictionary<string, string>());
        try
        {
            cluster.StartService("FakeGemini");
            await cluster.WaitUntilAnswersAsync("FakeGemini", new Uri($"{cluster.FakeGeminiUrl}/v1beta/models?key={FakeGeminiKey}"));
            foreach (var name in AllServices.Skip(1))
            {
                cluster.StartService(name);
            }

            await cluster.WaitUntilAnswersAsync("Gateway", new Uri($"{cluster.GatewayUrl}/health/ready"));
            await cluster.WaitUntilConsumingAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public ServiceProcess Service(string name) => services[name];

    /// <summary>Starts (or starts again) one service with the cluster's settings, and <paramref name="settings"/> for it alone.</summary>
    public ServiceProcess StartService(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var urls = name switch
        {
            "Gateway" => GatewayUrl,
            "FakeGemini" => FakeGeminiUrl,
            _ => "",
        };
        var serviceEnvironment = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = urls, ["Urls"] = urls };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            serviceEnvironment[key] = value;
        }

        var service = ServiceProcess.Start(name, serviceEnvironment);
        services[name] = service;
        return service;
    }

    /// <summary>Submits a case to the gateway and returns the job id.</summary>
    public async Task<Guid> SubmitAsync(object request)
    {
        using var response = await Gateway.PostAsJsonAsync("/v1/jobs", request);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"the gateway answered {(int)response.StatusCode}: {body}");
        }

        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetGuid();
    }

    /// <summary>Polls the job's status URL until the job is in one of the given states.</summary>
    public async Task<System.Text.Json.JsonElement> WaitForJobAsync(Guid jobId, TimeSpan timeout, params string[] states)
    {
        var wanted = states.Length > 0
            ? states
            : [JobStatuses.Completed, JobStatuses.Partial, JobStatuses.Failed, JobStatuses.Cancelled, JobStatuses.Rejected];
        var deadline = DateTimeOffset.UtcNow + timeout;
        System.Text.Json.JsonElement status = default;
        while (DateTimeOffset.UtcNow < deadline)
        {
            using var response = await Gateway.GetAsync($"/v1/jobs/{jobId}");
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"the job's status answered {(int)response.StatusCode}: {body}\n{Diagnostics()}");
            }

            status = System.Text.Json.JsonDocument.Parse(body).RootElement;
            if (wanted.Contains(status.GetProperty("status").GetString()))
            {
                return status;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {jobId} not in {string.Join("/", wanted)} after {timeout}; last status: {status}\n{Diagnostics()}");
    }

    /// <summary>What every service printed, for assertion messages.</summary>
    public string Diagnostics() => string.Join(Environment.NewLine, services.Values.Select(s =>
        $"----- {s.Name}{(s.HasExited ? $" (exited {s.ExitCode})" : "")} -----{Environment.NewLine}{Tail(s.Output, 60)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var service in services.Values)
        {
            await service.DisposeAsync();
        }

        Gateway.Dispose();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(StorageRoot, recursive: true);
    }

    /// <summary>Waits until a (re)started gateway answers.</summary>
    public Task WaitForGatewayAsync() => WaitUntilAnswersAsync("Gateway", new Uri($"{GatewayUrl}/health/ready"));

    async Task WaitUntilAnswersAsync(string name, Uri url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (services[name].HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {services[name].ExitCode}:\n{services[name].Output}");
            }

            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening, or too busy starting to answer, yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{name} did not answer at {url}:\n{Diagnostics()}");
    }

    /// <summary>The queues of the consuming services exist with consumers on them, so nothing a test
    /// publishes next is routed nowhere.</summary>
    Task WaitUntilConsumingAsync() =>
        WaitUntilAsync("the services consume", () => VirtualHost.AllHaveConsumersAsync(["job-state", "generate-image", "job-event-webhook"]),
            TimeSpan.FromSeconds(60));

    /// <summary>How many images the worker has stored: each attempt's JPEG, the blob it writes last.</summary>
    public int StoredImageCount() =>
        Directory.EnumerateFiles(StorageRoot, "image.jpg", SearchOption.AllDirectories).Count();

    /// <summary>Polls <paramref name="condition"/> until it holds; <paramref name="what"/> names it in the timeout's message.</summary>
    public async Task WaitUntilAsync(string what, Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"not so after {timeout}: {what}\n{Diagnostics()}");
    }

    static string Tail(string text, int lines) =>
        string.Join(Environment.NewLine, text.Split(Environment.NewLine).TakeLast(lines));
}
