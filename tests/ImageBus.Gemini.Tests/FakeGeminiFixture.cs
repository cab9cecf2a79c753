using System.Net;
using System.Net.Sockets;
using ImageBus.FakeGemini;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Gemini.Tests;

/// <summary>One fake Gemini per test class, on Kestrel at 127.0.0.1 with an OS-chosen port and no latency. Tests that
/// need the fake set up differently start their own with <see cref="StartAsync"/>.</summary>
public sealed class FakeGeminiFixture : IAsyncLifetime, IAsyncDisposable
{
    public const string ApiKey = "test-key-7Qx2";

    private readonly string[] _settings;
    private WebApplication? _app;

    public FakeGeminiFixture()
        : this([])
    {
    }

    private FakeGeminiFixture(string[] settings) => _settings = settings;

    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request the fake answered so far.</summary>
    public FakeRequests Requests => _app!.Services.GetRequiredService<FakeRequests>();

    /// <summary>A fake of its own with extra <c>--FakeGemini:…=…</c> settings; dispose it.</summary>
    public static async Task<FakeGeminiFixture> StartAsync(params string[] settings)
    {
        var fixture = new FakeGeminiFixture(settings);
        await fixture.InitializeAsync();
        return fixture;
    }

    public async Task InitializeAsync()
    {
        _app = FakeGeminiApp.Create([
            "--urls=http://127.0.0.1:0",
            $"--FakeGemini:ApiKey={ApiKey}",
            "--FakeGemini:LatencyMs=0",
            "--FakeGemini:LatencyJitterMs=0",
            "--Logging:LogLevel:Default=Warning",
            .. _settings,
        ]);
        await _app.StartAsync();
        BaseUrl = _app.Urls.Single();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    /// <summary>The client's configuration pointing at this fake with the right key, plus <paramref name="overrides"/>.</summary>
    public IConfiguration Configuration(params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gemini:BaseUrl"] = BaseUrl,
            ["Gemini:ApiKey"] = ApiKey,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    /// <summary>Services as <see cref="GeminiServiceCollectionExtensions.AddGeminiClient"/> registers them, with the retry
    /// pipeline's waits on <paramref name="clock"/> (a fresh <see cref="RetryClock"/> when null) instead of real time.</summary>
    public ServiceProvider Services(RetryClock? clock = null, params (string Key, string? Value)[] overrides)
    {
        var services = new ServiceCollection().AddLogging().AddGeminiClient(Configuration(overrides));
        services.AddSingleton<TimeProvider>(clock ?? new RetryClock());
        return services.BuildServiceProvider(validateScopes: true);
    }

    public IGeminiClient Client(params (string Key, string? Value)[] overrides) =>
        Services(null, overrides).GetRequiredService<IGeminiClient>();

    /// <summary>An HttpClient on the fake without the Gemini client in between.</summary>
    public HttpClient Http() => new() { BaseAddress = new Uri(BaseUrl) };

    /// <summary>A prompt no other test sends, so per-prompt counters ([fake:fail-first]) start at zero.</summary>
    public static string Prompt(string markers = "") => $"a lighthouse at dusk {Guid.NewGuid():N} {markers}";

    /// <summary>A loopback port nothing listens on (just released by the OS).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
