using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Batch mode on the real services and FakeGemini's Batch API (batches pending and running for a second each here):
/// jobs ask for it through the gateway or over the bus, their images are packed into Gemini batches, followed on the durable
/// scheduler and matched back by key; per-request failures fail only their image; an expired batch falls back to live calls
/// while the deadline allows; a worker crash right after the create makes no second batch (that batch sent as a JSONL file); cancelling cancels a job's share.</summary>
public sealed class BatchModeTests
{
    /// <summary>Fast batches: packed for up to 2 s, polled every half second, a second pending and a second running at the fake.</summary>
    static Dictionary<string, string> FastBatches(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string>
        {
            ["Batching__MaxWait"] = "00:00:02",
            ["Batching__PollInterval"] = "00:00:00.500",
            ["FakeGemini__BatchPendingTime"] = "00:00:01",
            ["FakeGemini__BatchRunTime"] = "00:00:01",
            // The default model has no price of its own (README: Prices); one is set here so that costs can be compared.
            ["Gemini__Prices__gemini-3.1-flash-image__PerImage"] = "0.04",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A small case whose every prompt carries <paramref name="tag"/> (32 characters, so that cases of the same size
    /// have prompts of the same length, and the same price).</summary>
    static JsonObject Case(string tenant, int items, string tag, string? mode = GenerationModes.Batch)
    {
        var request = SampleCases.Small(tenant, items);
        if (mode is not null)
        {
            request["mode"] = mode;
        }

        foreach (var item in request["items"]!.AsArray())
        {
            item!["description"] = $"a small object {tag}";
        }

        return request;
    }

    static string Tag() => Guid.NewGuid().ToString("N");

    static JsonElement Image(JsonElement status, string itemId) => status.Images().Single(i => i.GetProperty("itemId").GetString() == itemId);

    [Fact]
    public async Task Batch_jobs_complete_at_half_the_live_price_and_failed_requests_fail_only_their_images()
    {
        await using var cluster = await ImageBusCluster.StartAsync(FastBatches());
        await using var receiver = await WebhookReceiver.StartAsync();
        var (liveTag, batchTag, failingTag, autoTag, busTag) = (Tag(), Tag(), Tag(), Tag(), Tag());
        var live = await cluster.SubmitAsync(Case("batch-a", 3, liveTag, mode: null));
        var batchRequest = Case("batch-a", 3, batchTag);
        batchRequest["webhookUrl"] = receiver.Url;
        var batch = await cluster.SubmitAsync(batchRequest);
        var failingRequest = Case("batch-b", 4, failingTag)
            .WithFault("[fake:error=400]", "item-2")
            .WithFault("[fake:safety]", "item-3");
        var failing = await cluster.SubmitAsync(failingRequest);
        var autoRequest = Case("batch-b", 2, autoTag, GenerationModes.Auto);
        autoRequest["deadlineSeconds"] = 86_400;
        var auto = await cluster.SubmitAsync(autoRequest);
        // Over the bus, as a non-.NET upstream app publishes it.
        var overBus = Guid.NewGuid();
        var busRequest = Case("batch-c", 2, busTag);
        busRequest["jobId"] = overBus.ToString();
        await using (var bus = await PlainJsonBus.ConnectAsync(cluster))
        {
            await bus.PublishPlainAsync(busRequest.ToJsonString());
        }

        var liveStatus = await cluster.WaitForJobAsync(live, TimeSpan.FromMinutes(2));
        var batchStatus = await cluster.WaitForJobAsync(batch, TimeSpan.FromMinutes(2));
        Assert.True(batchStatus.GetProperty("status").GetString() == JobStatuses.Completed, $"{batchStatus}\n{cluster.Diagnostics()}");
        Assert.Equal(GenerationModes.Live, liveStatus.GetProperty("mode").GetString());
        Assert.Empty(liveStatus.GetProperty("batches").EnumerateArray());
        Assert.Equal(GenerationModes.Batch, batchStatus.GetProperty("mode").GetString());
        var stored = Assert.Single(batchStatus.GetProperty("batches").EnumerateArray());
        Assert.Equal(("succeeded", 3), (stored.GetProperty("state").GetString(), stored.GetProperty("images").GetInt32()));
        Assert.StartsWith("batches/", stored.GetProperty("name").GetString());
        Assert.All(batchStatus.Images(), image =>
        {
            Assert.Equal(GenerationModes.Batch, image.GetProperty("route").GetString());
            Assert.Equal(stored.GetProperty("batchId").GetGuid(), image.GetProperty("batchId").GetGuid());
            Assert.True(image.GetProperty("billed").GetBoolean());
        });
        // Half the live price, for the same images, and not one live call for them.
        Assert.True(liveStatus.GetProperty("estimatedCostUsd").ValueKind == JsonValueKind.Number, $"{liveStatus}");
        Assert.True(batchStatus.GetProperty("estimatedCostUsd").ValueKind == JsonValueKind.Number, $"{batchStatus}");
        Assert.Equal(liveStatus.GetProperty("estimatedCostUsd").GetDecimal() / 2, batchStatus.GetProperty("estimatedCostUsd").GetDecimal());
        Assert.Empty(await FakeGeminiLog.CallsAsync(cluster, batchTag));
        Assert.Equal(3, (await FakeGeminiLog.CallsAsync(cluster, liveTag)).Count);
        // Gemini has the batch under the name ImageBus gave it.
        var atGemini = await BatchesAtGeminiAsync(cluster);
        Assert.Contains(atGemini, b => b.Name == stored.GetProperty("name").GetString() && b.DisplayName == $"imagebus-{stored.GetProperty("batchId").GetGuid()}");

        var failingStatus = await cluster.WaitForJobAsync(failing, TimeSpan.FromMinutes(2));
        Assert.True(failingStatus.GetProperty("status").GetString() == JobStatuses.Partial, $"{failingStatus}\n{cluster.Diagnostics()}");
        Assert.Equal(
            [("item-1", ImageStatuses.Completed, true), ("item-2", ImageStatuses.Failed, false), ("item-3", ImageStatuses.Failed, true), ("item-4", ImageStatuses.Completed, true)],
            failingStatus.Images().Select(i => (i.GetProperty("itemId").GetString(), i.GetProperty("status").GetString(), i.GetProperty("billed").GetBoolean())));
        Assert.Equal("INVALID_ARGUMENT", Image(failingStatus, "item-2").GetProperty("errorCode").GetString());
        var billing = failingStatus.GetProperty("billing");
        Assert.Equal((3, 2, 2), (billing.GetProperty("billedImages").GetInt32(), billing.GetProperty("deliveredImages").GetInt32(),
            billing.GetProperty("refundableImages").GetInt32()));

        var autoStatus = await cluster.WaitForJobAsync(auto, TimeSpan.FromMinutes(2));
        Assert.Equal((JobStatuses.Completed, GenerationModes.Batch), (autoStatus.GetProperty("status").GetString(), autoStatus.GetProperty("mode").GetString()));
        var busStatus = await cluster.WaitForJobAsync(overBus, TimeSpan.FromMinutes(2));
        Assert.Equal((JobStatuses.Completed, GenerationModes.Batch), (busStatus.GetProperty("status").GetString(), busStatus.GetProperty("mode").GetString()));
        Assert.Empty(await FakeGeminiLog.CallsAsync(cluster, busTag));

        // Events as for a live job: the webhook hears the batch job complete, with its batch price.
        var completed = await receiver.WaitForAsync(w => w.JobId == batch && w.Type == "job.completed", TimeSpan.FromSeconds(30));
        Assert.Equal(batchStatus.GetProperty("estimatedCostUsd").GetDecimal(), completed.Json.GetProperty("data").GetProperty("estimatedCostUsd").GetDecimal());
    }

    [Fact]
    public async Task An_expired_batch_sends_its_images_live_while_the_deadline_allows_and_else_they_time_out()
    {
        await using var cluster = await ImageBusCluster.StartAsync(FastBatches(("Jobs__ImageDeadline", "00:02:00")));
        var (roomyTag, tightTag) = (Tag(), Tag());
        var roomy = await cluster.SubmitAsync(Case("batch-expiry", 3, roomyTag).WithFault("[fake:batch=expire]", "item-1"));
        // 30 s left when its batch expires: less than the image deadline a live call gets.
        var tightRequest = Case("batch-expiry", 2, tightTag).WithFault("[fake:batch=expire]", "item-1");
        tightRequest["deadlineSeconds"] = 30;
        var tight = await cluster.SubmitAsync(tightRequest);

        var roomyStatus = await cluster.WaitForJobAsync(roomy, TimeSpan.FromMinutes(2));
        Assert.True(roomyStatus.GetProperty("status").GetString() == JobStatuses.Completed, $"{roomyStatus}\n{cluster.Diagnostics()}");
        Assert.Equal("expired", Assert.Single(roomyStatus.GetProperty("batches").EnumerateArray()).GetProperty("state").GetString());
        Assert.All(roomyStatus.Images(), image => Assert.Equal(GenerationModes.Live, image.GetProperty("route").GetString()));
        Assert.Equal(3, (await FakeGeminiLog.CallsAsync(cluster, roomyTag)).Count);

        var tightStatus = await cluster.WaitForJobAsync(tight, TimeSpan.FromMinutes(2));
        Assert.True(tightStatus.GetProperty("status").GetString() == JobStatuses.Failed, $"{tightStatus}\n{cluster.Diagnostics()}");
        Assert.All(tightStatus.Images(), image => Assert.Equal(ImageStatuses.TimedOut, image.GetProperty("status").GetString()));
        Assert.Empty(await FakeGeminiLog.CallsAsync(cluster, tightTag));
    }

    [Fact]
    public async Task A_worker_killed_right_after_gemini_created_the_batch_makes_no_second_one()
    {
        // Sent as a JSONL file (anything over 200 bytes is), its results read back from the batch's responses file.
        await using var cluster = await ImageBusCluster.StartAsync(FastBatches(("Gemini__BatchInlineMaxBytes", "200")));
        cluster.Service("Worker").Kill();
        var crashing = cluster.StartService("Worker", new Dictionary<string, string> { ["FaultInjection__CrashAfterBatchCreate"] = "true" });
        var job = await cluster.SubmitAsync(Case("batch-crash", 3, Tag()));
        Assert.NotEqual(0, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var created = Assert.Single(await BatchesAtGeminiAsync(cluster));

        // The seal comes back to the restarted worker, which finds the batch by its display name.
        cluster.StartService("Worker");
        var status = await cluster.WaitForJobAsync(job, TimeSpan.FromMinutes(2));

        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        var stored = Assert.Single(status.GetProperty("batches").EnumerateArray());
        Assert.Equal(created.Name, stored.GetProperty("name").GetString());
        Assert.Equal($"imagebus-{stored.GetProperty("batchId").GetGuid()}", Assert.Single(await BatchesAtGeminiAsync(cluster)).DisplayName);
        var log = await FakeGeminiLog.AllAsync(cluster);
        Assert.Contains(log, c => c.Method == "POST" && c.Path.StartsWith("/upload/v1beta/files", StringComparison.Ordinal));
        Assert.Contains(log, c => c.Method == "GET" && c.Path.StartsWith("/download/v1beta/files/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_a_job_cancels_its_share_and_the_batch_goes_when_no_job_wants_it()
    {
        // Sealed only when four images are in: the two jobs' images share one batch, which stays pending at the fake.
        await using var cluster = await ImageBusCluster.StartAsync(FastBatches(
            ("Batching__MaxRequests", "4"), ("Batching__MaxWait", "01:00:00"), ("FakeGemini__BatchPendingTime", "01:00:00")));
        var first = await cluster.SubmitAsync(Case("batch-cancel", 2, Tag()));
        var second = await cluster.SubmitAsync(Case("batch-cancel", 2, Tag()));
        var shared = await WaitForBatchStateAsync(cluster, first, "pending");
        Assert.Equal(shared.BatchId, (await WaitForBatchStateAsync(cluster, second, "pending")).BatchId);
        var tenant = await cluster.ClientForTenantAsync("batch-cancel");

        using (var cancel = await tenant.PostAsJsonAsync($"/v1/jobs/{first}/cancel", new { reason = "not needed" }))
        {
            Assert.Equal(202, (int)cancel.StatusCode);
        }

        Assert.Equal(JobStatuses.Cancelled, (await cluster.WaitForJobAsync(first, TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
        // The other job still wants the batch: it keeps running at Gemini.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal("BATCH_STATE_PENDING", Assert.Single(await BatchesAtGeminiAsync(cluster)).State);
        Assert.Equal(JobStatuses.Generating, (await cluster.WaitForJobAsync(second, TimeSpan.FromSeconds(5), JobStatuses.Generating)).GetProperty("status").GetString());

        using (var cancel = await tenant.PostAsJsonAsync($"/v1/jobs/{second}/cancel", new { reason = "not needed either" }))
        {
            Assert.Equal(202, (int)cancel.StatusCode);
        }

        Assert.Equal(JobStatuses.Cancelled, (await cluster.WaitForJobAsync(second, TimeSpan.FromSeconds(60))).GetProperty("status").GetString());
        await cluster.WaitUntilAsync("the batch cancelled at Gemini",
            async () => Assert.Single(await BatchesAtGeminiAsync(cluster)).State == "BATCH_STATE_CANCELLED", TimeSpan.FromSeconds(30));
    }

    /// <summary>A batch at FakeGemini, from <c>GET v1beta/batches</c>.</summary>
    sealed record GeminiBatchEntry(string Name, string DisplayName, string State);

    static async Task<List<GeminiBatchEntry>> BatchesAtGeminiAsync(ImageBusCluster cluster)
    {
        using var http = new HttpClient();
        using var list = JsonDocument.Parse(await http.GetStringAsync($"{cluster.FakeGeminiUrl}/v1beta/batches?key={ImageBusCluster.FakeGeminiKey}"));
        return list.RootElement.TryGetProperty("operations", out var operations)
            ? [.. operations.EnumerateArray().Select(o => new GeminiBatchEntry(o.GetProperty("name").GetString()!,
                o.GetProperty("metadata").GetProperty("displayName").GetString()!, o.GetProperty("metadata").GetProperty("state").GetString()!))]
            : [];
    }

    /// <summary>Waits until the job's (one) batch is in <paramref name="state"/>, as the job's status reports it.</summary>
    static async Task<(Guid BatchId, string? Name)> WaitForBatchStateAsync(ImageBusCluster cluster, Guid jobId, string state)
    {
        (Guid, string?) found = default;
        await cluster.WaitUntilAsync($"job {jobId}'s batch {state}", async () =>
        {
            var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(5), JobStatuses.Generating);
            if (status.GetProperty("batches").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } batch
                && batch.GetProperty("state").GetString() == state)
            {
                found = (batch.GetProperty("batchId").GetGuid(), batch.GetProperty("name").GetString());
                return true;
            }

            return false;
        }, TimeSpan.FromSeconds(60));
        return found;
    }
}
