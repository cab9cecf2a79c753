using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Tenants;

namespace ImageBus.Testing;

/// <summary>
/// All five services as processes on the real RabbitMQ and PostgreSQL, each cluster in a database
/// and virtual host of its own and on free ports, so that clusters never see each other's work.
/// </summary>
public sealed class ImageBusCluster : IAsyncDisposable
{
    public const string FakeGeminiKey = "fake-key";

    /// <summary>The tenant <see cref="Gateway"/> acts for (the sample case names no tenant of its own).</summary>
    public const string DefaultTenant = "detective-game";

    readonly Dictionary<string, ServiceProcess> services = [];
    readonly Dictionary<string, string> serviceUrls = [];
    readonly ConcurrentDictionary<string, Task<HttpClient>> tenantClients = new();
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
        AdminKey = $"{ApiKeys.Prefix}admin_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
        Admin = ClientWithKey(AdminKey);
        environment = new Dictionary<string, string>
        {
            // Configuration holds only the admin key's hash, as in production.
            ["Admin__ApiKeySha256__0"] = Convert.ToHexStringLower(ApiKeys.Hash(AdminKey)),
            ["ConnectionStrings__ImageBus"] = database.ConnectionString,
            ["RabbitMq__Port"] = broker.Amqp.ToString(),
            ["RabbitMq__VirtualHost"] = virtualHost.Name,
            ["RabbitMq__ManagementUrl"] = $"http://127.0.0.1:{broker.Management}/",
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

    /// <summary>The gateway, authenticated as <see cref="DefaultTenant"/>.</summary>
    public HttpClient Gateway { get; }

    /// <summary>The cluster's admin key (configured on the gateway by its hash) and a client that sends it.</summary>
    public string AdminKey { get; }
    public HttpClient Admin { get; }

    /// <summary>A client without a key.</summary>
    public HttpClient Anonymous() => new() { BaseAddress = new Uri(GatewayUrl) };

    /// <summary>A client sending <paramref name="key"/> as its bearer token.</summary>
    public HttpClient ClientWithKey(string key)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A client with a key of <paramref name="tenantId"/> (the tenant made on first use, through the admin API);
    /// one per tenant for the cluster's life.</summary>
    public Task<HttpClient> ClientForTenantAsync(string tenantId) =>
        tenantClients.GetOrAdd(tenantId, async tenant => ClientWithKey((await CreateKeyAsync(tenant)).Key));

    /// <summary>Creates the tenant unless it exists, and a new key of it, through the admin API.</summary>
    public async Task<(string KeyId, string Key)> CreateKeyAsync(string tenantId)
    {
        using (var created = await Admin.PostAsJsonAsync("/v1/admin/tenants", new { tenantId }))
        {
            if (!created.IsSuccessStatusCode && created.StatusCode != System.Net.HttpStatusCode.Conflict)
            {
                throw new InvalidOperationException($"creating tenant {tenantId} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            }
        }

        using var response = await Admin.PostAsJsonAsync($"/v1/admin/tenants/{tenantId}/keys", new { name = "test" });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating a key of {tenantId} answered {(int)response.StatusCode}: {body}");
        }

        var key = JsonDocument.Parse(body).RootElement;
        return (key.GetProperty("apiKey").GetProperty("keyId").GetString()!, key.GetProperty("key").GetString()!);
    }

    /// <summary>Starts every service; <paramref name="settings"/> override configuration keys
    /// (as environment variables, e.g. <c>Worker__Concurrency</c>) for all of them. The cluster uses
    /// the shared broker and PostgreSQL server unless given ones of its own.</summary>
    /// <param name="scale">Several instances of every service but FakeGemini (as <c>./imagebus up --instances N</c>), each
    /// given the broker cluster's nodes starting from a different one, so their connections spread over the nodes.</param>
    public static async Task<ImageBusCluster> StartAsync(IReadOnlyDictionary<string, string>? settings = null, BrokerPorts? broker = null,
        int? postgresPort = null, ServiceScale? scale = null)
    {
        scale ??= ServiceScale.One;
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
                for (var instance = 1; instance <= scale.Instances; instance++)
                {
                    cluster.StartService(ServiceScale.InstanceName(name, instance), scale.BrokerNodeSettings(instance));
                }
            }

            await cluster.WaitUntilAnswersAsync("Gateway", new Uri($"{cluster.GatewayUrl}/health/ready"));
            cluster.Gateway.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Bearer", (await cluster.CreateKeyAsync(DefaultTenant)).Key);
            await cluster.WaitUntilConsumingAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A running service: <c>Worker</c> is the first worker, <c>Worker-2</c> the second (<see cref="ServiceScale"/>).</summary>
    public ServiceProcess Service(string name) => services[name];

    /// <summary>Every service process, each instance of each.</summary>
    public IEnumerable<ServiceProcess> Services => services.Values;

    /// <summary>Where the service's HTTP endpoints (health, metrics; the gateway's API) answer.</summary>
    public string ServiceUrl(string name) => serviceUrls[name];

    /// <summary>Starts (or starts again) one service (an instance name, <see cref="ServiceScale.InstanceName"/>) with the
    /// cluster's settings, and <paramref name="settings"/> for it alone.</summary>
    public ServiceProcess StartService(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var urls = name switch
        {
            "Gateway" => GatewayUrl,
            "FakeGemini" => FakeGeminiUrl,
            // Health and metrics endpoints on a port of their own, so several clusters and instances can run at once.
            _ => $"http://127.0.0.1:{FreePort.Next()}",
        };
        serviceUrls[name] = urls;
        var serviceEnvironment = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = urls, ["Urls"] = urls };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            serviceEnvironment[key] = value;
        }

        var service = ServiceProcess.Start(ServiceScale.ServiceOf(name), serviceEnvironment, name);
        services[name] = service;
        return service;
    }

    /// <summary>Submits a case to the gateway with a key of the tenant it names (<see cref="DefaultTenant"/> when it names
    /// none) and returns the job id.</summary>
    public async Task<Guid> SubmitAsync(object request)
    {
        var tenant = JsonSerializer.SerializeToNode(request)?["tenantId"]?.GetValue<string>();
        var client = tenant is null ? Gateway : await ClientForTenantAsync(tenant);
        using var response = await client.PostAsJsonAsync("/v1/jobs", request);
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 202)
        {
            throw new InvalidOperationException($"the gateway answered {(int)response.StatusCode}: {body}");
        }

        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetGuid();
    }

    /// <summary>Polls the job's status URL (with the admin key, which reads any tenant's jobs) until the job is in one of
    /// the given states.</summary>
    public async Task<System.Text.Json.JsonElement> WaitForJobAsync(Guid jobId, TimeSpan timeout, params string[] states)
    {
        var wanted = states.Length > 0
            ? states
            : [JobStatuses.Completed, JobStatuses.Partial, JobStatuses.Failed, JobStatuses.Cancelled, JobStatuses.Rejected];
        var deadline = DateTimeOffset.UtcNow + timeout;
        System.Text.Json.JsonElement status = default;
        while (DateTimeOffset.UtcNow < deadline)
        {
            using var response = await Admin.GetAsync($"/v1/jobs/{jobId}");
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
        Admin.Dispose();
        foreach (var client in tenantClients.Values.Where(c => c.IsCompletedSuccessfully))
        {
            client.Result.Dispose();
        }

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
        if (!await Poll.UntilAsync(condition, timeout))
        {
            throw new TimeoutException($"not so after {timeout}: {what}\n{Diagnostics()}");
        }
    }

    static string Tail(string text, int lines) =>
        string.Join(Environment.NewLine, text.Split(Environment.NewLine).TakeLast(lines));
}

/// <summary>How many instances of every service an <see cref="ImageBusCluster"/> runs, and the broker cluster's nodes
/// (host:port, as <c>RabbitMq:ClusterNodes</c> takes them) when it runs on one.</summary>
public sealed record ServiceScale(int Instances, IReadOnlyList<string> BrokerNodes)
{
    public static readonly ServiceScale One = new(1, []);

    /// <summary>Instance 1 of a service is named for it (<c>Worker</c>), the others with their number (<c>Worker-2</c>).</summary>
    public static string InstanceName(string service, int instance) => instance == 1 ? service : $"{service}-{instance}";

    public static string ServiceOf(string instanceName) => instanceName.Split('-')[0];

    /// <summary>Instance K's <c>RabbitMq:ClusterNodes</c>: every node, from node K on.</summary>
    public IReadOnlyDictionary<string, string> BrokerNodeSettings(int instance) =>
        BrokerNodes.Select((_, i) => ($"RabbitMq__ClusterNodes__{i}", BrokerNodes[(instance - 1 + i) % BrokerNodes.Count]))
            .ToDictionary(s => s.Item1, s => s.Item2);
}
