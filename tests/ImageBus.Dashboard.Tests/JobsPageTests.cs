using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageBus.Contracts;
using ImageBus.Testing;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace ImageBus.Dashboard.Tests;

/// <summary>A tenant in the browser: the jobs list with its live bars, submitting the sample case, the job page.</summary>
[Collection(DashboardCollection.Name)]
public sealed class JobsPageTests(DashboardFixture fixture)
{
    /// <summary>Once the job has ended by its status, its events reach the page within a poll or two of the stream (generous:
    /// the machine is loaded).</summary>
    static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 30_000 };

    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_tenant_submits_the_sample_case_watches_it_reach_14_of_14_and_sees_14_thumbnails()
    {
        var page = await fixture.SignInAsync((await cluster.CreateKeyAsync(NewTenant())).Key);

        // A tenant's key: jobs, and no operations pages.
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Jobs" })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "System health" })).ToBeHiddenAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Dead letters" })).ToBeHiddenAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Fill in the sample case" }).ClickAsync();
        await Expect(page.GetByLabel("Case JSON")).ToHaveValueAsync(new Regex("case-0042-the-lighthouse-keeper"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit case" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Accepted job");

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "case-0042-the-lighthouse-keeper" });
        var bar = row.GetByRole(AriaRole.Progressbar, new() { Name = "Progress of job case-0042-the-lighthouse-keeper" });
        await Expect(bar).ToBeVisibleAsync();
        var jobId = Guid.Parse((await row.GetAttributeAsync("data-job-id"))!);
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(240), JobStatuses.Completed);
        await ExpectWithConsole(async () =>
        {
            await Expect(row).ToContainTextAsync("14/14", Soon);
            await Expect(row).ToContainTextAsync("completed", Soon);
            await Expect(bar).ToHaveAttributeAsync("aria-valuetext", "14 of 14 images finished");
        });

        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Job of case case-0042-the-lighthouse-keeper" })).ToBeVisibleAsync();
        var thumbnails = page.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Thumbnail of ") });
        await Expect(thumbnails).ToHaveCountAsync(14, new() { Timeout = 60_000 });
        // Every one decoded as the gateway's 256 px square thumbnail (made on first request), not the page's fallback to the
        // full image: a broken link would leave naturalWidth 0, the full image would be 1024 px or not square.
        await page.WaitForFunctionAsync(
            "() => { const images = [...document.querySelectorAll('.thumbnails img')];"
            + " return images.length === 14 && images.every(i => i.complete && i.src.includes('variant=thumb')"
            + " && i.naturalWidth === 256 && i.naturalHeight === 256); }",
            null, new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Each image" }).GetByRole(AriaRole.Row)).ToHaveCountAsync(15);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed images" })).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" })).ToBeDisabledAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardFixture.ScreenshotDirectory, "job-page.png"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Download archive" }).ClickAsync(), new() { Timeout = 60_000 });
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Archive downloaded");
        Assert.EndsWith(".zip", download.SuggestedFilename);
        AssertArchiveOfCompletedSampleCase(await download.PathAsync());
    }

    /// <summary>14 JPEGs and a manifest listing the 14 items completed, each with its file.</summary>
    static void AssertArchiveOfCompletedSampleCase(string path)
    {
        using var archive = ZipFile.OpenRead(path);
        var jpegs = archive.Entries.Where(e => e.FullName.EndsWith(".jpg", StringComparison.Ordinal)).ToList();
        Assert.Equal(14, jpegs.Count);
        Assert.All(jpegs, entry =>
        {
            using var content = entry.Open();
            Span<byte> header = stackalloc byte[2];
            content.ReadExactly(header);
            Assert.True(header is [0xFF, 0xD8], $"{entry.FullName} does not start as a JPEG");
        });

        var manifestEntry = archive.GetEntry("manifest.json") ?? throw new InvalidOperationException("the archive has no manifest.json");
        using var manifestStream = manifestEntry.Open();
        var manifest = JsonNode.Parse(manifestStream)!;
        Assert.Equal("completed", (string?)manifest["status"]);
        var items = manifest["items"]!.AsArray();
        Assert.Equal(14, items.Count);
        Assert.All(items, item => Assert.Equal("completed", (string?)item!["status"]));
        Assert.Equal(jpegs.Select(e => e.FullName).Order(), items.Select(i => (string)i!["fileName"]!).Order());
    }

    [Fact]
    public async Task A_bar_moves_live_from_the_event_stream_while_the_list_stays_open()
    {
        var tenant = NewTenant();
        var client = await cluster.ClientForTenantAsync(tenant);
        var slow = Case(tenant, "slow-case", 2, "a slow object [fake:latency=12000]");
        var jobId = await SubmitAsync(client, slow);
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60), JobStatuses.Generating);

        var page = await fixture.SignInAsync((await cluster.CreateKeyAsync(tenant)).Key);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "slow-case" });
        await Expect(row).ToContainTextAsync("0/2");
        await Expect(row).ToContainTextAsync("generating");
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(180), JobStatuses.Completed);
        // No reload: the row's own stream moves it.
        await ExpectWithConsole(async () =>
        {
            await Expect(row).ToContainTextAsync("2/2", Soon);
            await Expect(row).ToContainTextAsync("completed", Soon);
            await Expect(row).ToHaveAttributeAsync("data-finished", "true");
        });
    }

    [Fact]
    public async Task Filters_and_pages_find_the_jobs_asked_for()
    {
        var tenant = NewTenant();
        var client = await cluster.ClientForTenantAsync(tenant);
        var jobs = new List<Guid>();
        for (var i = 0; i < 22; i++)
        {
            jobs.Add(await SubmitAsync(client, Case(tenant, $"paged-{i:D2}", 1, "a small object")));
        }

        var broken = await SubmitAsync(client, Case(tenant, "broken-case", 1, "refused [fake:error=400]"));
        foreach (var job in jobs.Append(broken))
        {
            await cluster.WaitForJobAsync(job, TimeSpan.FromSeconds(180));
        }

        var page = await fixture.SignInAsync((await cluster.CreateKeyAsync(tenant)).Key);
        var list = page.GetByRole(AriaRole.Table, new() { Name = "Jobs, newest first" });
        // 23 jobs, 20 a page: the newest 20, then the other 3; together every job once.
        var rows = list.GetByRole(AriaRole.Row);
        await Expect(rows).ToHaveCountAsync(21);
        var seen = (await rows.AllInnerTextsAsync()).Skip(1).ToList();
        await page.GetByRole(AriaRole.Button, new() { Name = "Next page →" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(4);
        seen.AddRange((await rows.AllInnerTextsAsync()).Skip(1));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Next page →" })).ToBeDisabledAsync();
        var cases = Enumerable.Range(0, 22).Select(i => $"paged-{i:D2}").Append("broken-case").ToList();
        Assert.All(cases, caseId => Assert.Single(seen, row => row.Contains(caseId, StringComparison.Ordinal)));
        await page.GetByRole(AriaRole.Button, new() { Name = "← Previous page" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(21);

        await page.GetByLabel("Status").SelectOptionAsync("failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(list.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Expect(list).ToContainTextAsync("broken-case");

        await page.GetByLabel("Status").SelectOptionAsync("");
        await page.GetByLabel("Case id").FillAsync("paged-07");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        await Expect(list.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Expect(list).ToContainTextAsync("paged-07");

        // The failed job's page shows the error and offers a retry, which the tenant's key may ask for.
        await page.GotoAsync($"/#/jobs/{broken}");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Each image" })).ToContainTextAsync("INVALID_ARGUMENT");
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry failed images" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retry asked for");
        // The retry's attempt joins the first one in the image's history.
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Each image" })).ToContainTextAsync("2 recorded", new() { Timeout = 180_000 });
    }

    [Fact]
    public async Task A_tenant_key_reaching_an_operations_page_is_told_it_needs_an_admin_key()
    {
        var page = await fixture.SignInAsync((await cluster.CreateKeyAsync(NewTenant())).Key);
        await page.GotoAsync("/#/health");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("needs an admin key");
        await page.GotoAsync("/#/dead-letters");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("needs an admin key");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        Assert.Equal("null", await page.EvaluateAsync<string>("() => String(sessionStorage.getItem('imagebus.apiKey'))"));
    }

    [Fact]
    public async Task A_refused_key_is_asked_again()
    {
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = cluster.GatewayUrl });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync("ibk_000000000000_not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("refused this key");
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
    }

    /// <summary>Runs browser expectations; a failure says what the page's console said.</summary>
    async Task ExpectWithConsole(Func<Task> expectations)
    {
        try
        {
            await expectations();
        }
        catch (PlaywrightException exception)
        {
            throw new InvalidOperationException($"{exception.Message}\nbrowser console:\n{fixture.BrowserConsole}", exception);
        }
    }

    static string NewTenant() => $"dash-{Guid.NewGuid():N}"[..21];

    static JsonObject Case(string tenant, string caseId, int items, string description) => new()
    {
        ["tenantId"] = tenant,
        ["caseId"] = caseId,
        ["imageSize"] = 128,
        ["items"] = new JsonArray([.. Enumerable.Range(1, items).Select(i => (JsonNode)new JsonObject
        {
            ["itemId"] = $"item-{i}", ["kind"] = "evidence", ["name"] = $"Item {i}", ["description"] = description,
        })]),
    };

    static async Task<Guid> SubmitAsync(HttpClient client, JsonObject request)
    {
        using var response = await client.PostAsJsonAsync("/v1/jobs", request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["jobId"]!.GetValue<Guid>();
    }
}
