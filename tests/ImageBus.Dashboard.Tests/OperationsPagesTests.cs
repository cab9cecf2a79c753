using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Testing;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace ImageBus.Dashboard.Tests;

/// <summary>An admin key in the browser: the operations pages.</summary>
[Collection(DashboardCollection.Name)]
public sealed class OperationsPagesTests(DashboardFixture fixture)
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task An_admin_key_sees_every_tenants_jobs_and_the_operations_pages()
    {
        var tenant = $"ops-{Guid.NewGuid():N}"[..20];
        var client = await cluster.ClientForTenantAsync(tenant);
        using var submitted = await client.PostAsJsonAsync("/v1/jobs", new
        {
            caseId = "admin-visible", imageSize = 128,
            items = new[] { new { itemId = "a", kind = "evidence", name = "A", description = "a small object" } },
        });
        submitted.EnsureSuccessStatusCode();
        var jobId = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid();
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));

        var page = await fixture.SignInAsync(cluster.AdminKey);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "System health" })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Dead letters" })).ToBeVisibleAsync();
        // Every tenant's jobs, with their tenant; an admin key submits nothing.
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Tenant" }).FillAsync(tenant);
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply filters" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "admin-visible" });
        await Expect(row).ToContainTextAsync(tenant);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Submit case" })).ToHaveCountAsync(0);
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Job of case admin-visible" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Webhook deliveries are the tenant's")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_admin_sees_system_health_with_its_queues_and_no_stuck_jobs()
    {
        var page = await fixture.SignInAsync(cluster.AdminKey);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Dead letters" })).ToBeVisibleAsync();
        await nav.GetByRole(AriaRole.Link, new() { Name = "System health" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "System health" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No stuck jobs")).ToBeVisibleAsync();
        var queues = page.GetByRole(AriaRole.Table, new() { Name = "Queues (RabbitMQ)" });
        await Expect(queues.GetByRole(AriaRole.Row).Filter(new() { HasText = "generate-image" }).First).ToBeVisibleAsync();
        await Expect(queues.GetByRole(AriaRole.Row).Filter(new() { HasText = "job-state" }).First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardFixture.ScreenshotDirectory, "system-health.png"), FullPage = true });
    }
}
