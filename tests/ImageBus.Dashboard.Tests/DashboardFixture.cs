using ImageBus.Testing;
using Microsoft.Playwright;
using Xunit;

namespace ImageBus.Dashboard.Tests;

/// <summary>One running ImageBus (five processes) and one headless Debian chromium, shared by every dashboard test.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Debian's browser: Playwright's own browser download cannot work here (<c>./imagebus test</c> installs it).</summary>
    const string Chromium = "/usr/bin/chromium";

    ImageBusCluster? cluster;
    IPlaywright? playwright;
    IBrowser? browser;

    readonly System.Collections.Concurrent.ConcurrentQueue<string> console = new();

    /// <summary>The browser console's messages and the page errors of every page so far.</summary>
    public string BrowserConsole => string.Join(Environment.NewLine, console);

    public ImageBusCluster Cluster => cluster ?? throw new InvalidOperationException("the cluster has not started");
    public IBrowser Browser => browser ?? throw new InvalidOperationException("the browser has not started");

    /// <summary>Where screenshots go: beside the test results, under the test assembly's output.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: install Debian's chromium (./imagebus test does)");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        cluster = await ImageBusCluster.StartAsync();
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Chromium's sandbox refuses to run as root.
            Args = Environment.UserName == "root" ? ["--no-sandbox"] : [],
        });
    }

    /// <summary>A fresh browser context (its own session storage) on the dashboard, signed in with <paramref name="key"/>.</summary>
    public async Task<IPage> SignInAsync(string key)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Cluster.GatewayUrl, AcceptDownloads = true, ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        // What the page said, for a failing test's message.
        page.Console += (_, message) => console.Enqueue($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => console.Enqueue($"page error: {error}");
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        return page;
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
