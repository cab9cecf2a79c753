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
