using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ImageBus.Contracts;
using ImageBus.Testing;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace ImageBus.Dashboard.Tests;

/// <summary>An admin in the browser on the dead letters: a worker that cannot store one image faults its command, the
/// admin finds its group and the message with its job, fixes the cause, retries the group and the job completes.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DeadLettersPageTests(DashboardFixture fixture)
{
    const string PoisonedItem = "loc-04";
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task An_admin_finds_a_poisoned_image_in_its_group_retries_the_group_after_the_fix_and_the_job_completes()
    {
        // As DeadLetterTests (end-to-end) does: the item answers late, so its blob directory is made a file well before the
        // worker stores it, and the worker's store throws.
        var jobId = await cluster.SubmitAsync(SampleCaseWithLatencyOn(PoisonedItem));
        var poisoned = Path.Combine(cluster.StorageRoot, ImageBusCluster.DefaultTenant, jobId.ToString("N"), PoisonedItem);
        Directory.CreateDirectory(Path.GetDirectoryName(poisoned)!);
        await File.WriteAllTextAsync(poisoned, "not a directory");
        var partial = await cluster.WaitForJobAsync(jobId, Patience);
        Assert.Equal(JobStatuses.Partial, partial.GetProperty("status").GetString());

        // The page reads the groups when it opens: wait until the collector has moved the message into the table.
        var groupId = await WaitForGroupOfJobAsync(jobId);

        var page = await fixture.SignInAsync(cluster.AdminKey);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Dead letters" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dead letters", Exact = true })).ToBeVisibleAsync();
        var groups = page.GetByRole(AriaRole.Table, new() { Name = "Failed message groups" });
        var group = groups.Locator($"tr[data-group-id='{groupId}']");
        await Expect(group).ToBeVisibleAsync();
        var cells = group.GetByRole(AriaRole.Cell);
        await Expect(cells.Nth(0)).ToHaveTextAsync(new Regex(@"^System\.IO\."));
        await Expect(cells.Nth(2)).ToHaveTextAsync("GenerateImage");
        await Expect(cells.Nth(3)).ToHaveTextAsync("1");
        await Expect(cells.Nth(4)).ToContainTextAsync("generate-image_error");

        await group.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Show messages of group ") }).ClickAsync();
        var messages = groups.GetByRole(AriaRole.List, new() { Name = "Failed messages" });
        var message = messages.GetByRole(AriaRole.Listitem);
        await Expect(message).ToHaveCountAsync(1);
        await Expect(message.GetByRole(AriaRole.Link, new() { Name = jobId.ToString() })).ToHaveAttributeAsync("href", $"#/jobs/{jobId}");
        await Expect(message).ToContainTextAsync("generate-image_error (from generate-image)");
        await Expect(message).ToContainTextAsync("GenerateImageConsumer");
        await Expect(message).ToContainTextAsync(ImageBusCluster.DefaultTenant);
        await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardFixture.ScreenshotDirectory, "dead-letters.png"), FullPage = true });

        // The fix, then the retry of the whole group.
        File.Delete(poisoned);
        await group.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Retry group ") }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Retried 1 message (group System.IO.");
        await Expect(page.Locator($"tr[data-group-id='{groupId}']")).ToHaveCountAsync(0);
        var audit = page.GetByRole(AriaRole.Table, new() { Name = "Retries and deletions, newest first" })
            .GetByRole(AriaRole.Row).Filter(new() { HasText = $"group:{groupId}" });
        await Expect(audit).ToHaveCountAsync(1);
        await Expect(audit.GetByRole(AriaRole.Cell).Nth(1)).ToHaveTextAsync(new Regex("^admin-"));
        await Expect(audit.GetByRole(AriaRole.Cell).Nth(2)).ToHaveTextAsync("retry");
        await Expect(audit.GetByRole(AriaRole.Cell).Nth(4)).ToHaveTextAsync("1");

        // The saga takes the retried image's success: the job completes, as its page shows.
        await cluster.WaitForJobAsync(jobId, Patience, JobStatuses.Completed);
        await page.GotoAsync($"/#/jobs/{jobId}");
        await Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = "Progress of this job" }))
            .ToHaveAttributeAsync("aria-valuetext", "14 of 14 images finished");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Each image" }).GetByRole(AriaRole.Row)
            .Filter(new() { HasText = PoisonedItem })).ToContainTextAsync("completed");
        await Expect(page.Locator(".facts .badge").First).ToHaveTextAsync("completed");
    }

    [Fact]
    public async Task A_broker_refusal_part_way_through_a_retry_says_how_many_went_back()
    {
        // The gateway answers 503 with "retried" only when RabbitMQ refuses a publish mid-retry, which a test cannot cause
        // on the shared broker: the page is handed the API's documented answers (DeadLettersApi.Retry) instead.
        var page = await fixture.SignInAsync(cluster.AdminKey);
        await page.RouteAsync("**/v1/admin/dead-letters/groups", route => route.FulfillAsync(new()
        {
            Status = 200, ContentType = "application/json",
            Body = """{"groups":[{"groupId":"g-refused","exceptionType":"System.IO.IOException","message":"disk full","messageType":"urn:message:ImageBus.Contracts:GenerateImage","count":3,"queues":["generate-image_error"],"firstAt":"2026-12-01T10:00:00Z","lastAt":"2026-12-01T10:00:00Z"}]}""",
        }));
        await page.RouteAsync("**/v1/admin/dead-letters/retry", route => route.FulfillAsync(new()
        {
            Status = 503, ContentType = "application/problem+json",
            Body = """{"status":503,"title":"The broker refused a retried message.","detail":"nack","retried":2}""",
        }));
        await page.GotoAsync("/#/dead-letters");
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry group System.IO.IOException: disk full" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("503 The broker refused a retried message.");
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("2 messages were sent back before the refusal");
    }

    /// <summary>deploy/sample-case.json (the tenant <see cref="ImageBusCluster.DefaultTenant"/>'s) with a fresh case id and
    /// FakeGemini answering <paramref name="itemId"/> 2.5 s late.</summary>
    static JsonObject SampleCaseWithLatencyOn(string itemId)
    {
        var request = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy", "sample-case.json")))!.AsObject();
        request["caseId"] = $"dead-letters-{Guid.NewGuid():N}";
        request["imageSize"] = 256;
        var item = request["items"]!.AsArray().Single(i => (string?)i!["itemId"] == itemId)!;
        item["description"] = $"{(string?)item["description"]} [fake:latency=2500]";
        return request;
    }

    async Task<string> WaitForGroupOfJobAsync(Guid jobId)
    {
        string? groupId = null;
        await cluster.WaitUntilAsync($"the dead letter of job {jobId} is listed", async () =>
        {
            var groups = await cluster.Admin.GetFromJsonAsync<JsonElement>("/v1/admin/dead-letters/groups");
            foreach (var group in groups.GetProperty("groups").EnumerateArray())
            {
                var id = group.GetProperty("groupId").GetString()!;
                var items = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/v1/admin/dead-letters?groupId={Uri.EscapeDataString(id)}");
                if (items.GetProperty("items").EnumerateArray().Any(i => i.TryGetProperty("jobId", out var job)
                        && job.ValueKind == JsonValueKind.String && job.GetGuid() == jobId))
                {
                    groupId = id;
                    return true;
                }
            }

            return false;
        }, Patience);
        return groupId!;
    }
}
