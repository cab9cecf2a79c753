using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Billing facts through the gateway and the webhook, one image per way a Gemini call can end (FakeGemini's markers):
/// a call Gemini answered with HTTP 200 is billed (an image, a safety block, a blocked prompt, no image), one that timed out, met a
/// 5xx or a per-day quota is not; a retry's calls count on its new attempt.</summary>
public sealed class BillingFactsTests
{
    /// <summary>Item, marker, expected status, billed calls of the first attempt.</summary>
    static readonly (string Item, string Marker, string Status, int BilledCalls)[] Cases =
    [
        ("ok", "", ImageStatuses.Completed, 1),
        ("after-503", "[fake:fail-first=1:503]", ImageStatuses.Completed, 1),
        ("always-503", "[fake:error=503]", ImageStatuses.Failed, 0),
        ("timeout", "[fake:hang]", ImageStatuses.Failed, 0),
        ("daily-quota", "[fake:quota=day]", ImageStatuses.Failed, 0),
        ("safety", "[fake:safety]", ImageStatuses.Failed, 1),
        ("blocked", "[fake:blocked]", ImageStatuses.Failed, 1),
        ("no-image", "[fake:no-image]", ImageStatuses.Failed, 2),
    ];

    [Fact]
    public async Task Every_image_says_whether_it_was_billed_and_the_job_sums_billed_delivered_and_refundable()
    {
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            // Two calls per attempt at most, and a timeout no loaded machine reaches by accident.
            ["Gemini__MaxAttempts"] = "2",
            ["Gemini__CallTimeout"] = "00:00:05",
            ["Gemini__BaseBackoff"] = "00:00:00.050",
            ["Gemini__MaxBackoff"] = "00:00:00.200",
        });
        await using var receiver = await WebhookReceiver.StartAsync();
        var unique = Guid.NewGuid().ToString("N");
        var request = SampleCases.Small("billing", Cases.Length);
        request["webhookUrl"] = receiver.Url;
        var items = request["items"]!.AsArray();
        for (var i = 0; i < Cases.Length; i++)
        {
            items[i]!["itemId"] = Cases[i].Item;
            // A prompt of its own per run: fail-first counts calls per prompt.
            items[i]!["description"] = $"a small object {unique} {Cases[i].Marker}";
        }

        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));
        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Partial, $"{status}\n{cluster.Diagnostics()}");
        foreach (var (item, _, expectedStatus, billedCalls) in Cases)
        {
            var image = status.Images().Single(i => i.GetProperty("itemId").GetString() == item);
            Assert.True(expectedStatus == image.GetProperty("status").GetString(), $"{item}: {image}");
            Assert.True(billedCalls == image.GetProperty("billedCalls").GetInt32(), $"{item}: {image}");
            Assert.Equal(billedCalls > 0, image.GetProperty("billed").GetBoolean());
        }

        var billing = status.GetProperty("billing");
        Assert.Equal((5, 2, 6, 6), Facts(billing));

        var partial = await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.partially_completed", TimeSpan.FromSeconds(30));
        Assert.Equal((5, 2, 6, 6), Facts(partial.Json.GetProperty("data").GetProperty("billing")));
        var safety = partial.Json.GetProperty("data").GetProperty("images").EnumerateArray().Single(i => i.GetProperty("itemId").GetString() == "safety");
        Assert.True(safety.GetProperty("billed").GetBoolean());

        // The retry asks the six failed images again with the same markers: their calls count on attempt 2.
        var tenant = await cluster.ClientForTenantAsync("billing");
        using (var retry = await tenant.PostAsync($"/v1/jobs/{jobId}/retry", null))
        {
            Assert.Equal(202, (int)retry.StatusCode);
        }

        await cluster.WaitUntilAsync("the retry ends", async () =>
        {
            var current = await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));
            return current.Images().Single(i => i.GetProperty("itemId").GetString() == "safety").GetProperty("attempt").GetInt32() == 2
                && current.GetProperty("status").GetString() == JobStatuses.Partial;
        }, TimeSpan.FromMinutes(2));
        var retried = await cluster.WaitForJobAsync(jobId, TimeSpan.FromMinutes(2));
        var safetyAfter = retried.Images().Single(i => i.GetProperty("itemId").GetString() == "safety");
        Assert.Equal(2, safetyAfter.GetProperty("billedCalls").GetInt32());
        Assert.Equal([1, 1], safetyAfter.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("billedCalls").GetInt32()).ToArray());
        // Billed images stay 5 (the same images billed again), calls grow by the retry's 1 + 1 + 2.
        Assert.Equal((5, 2, 6, 10), Facts(retried.GetProperty("billing")));
    }

    static (int Billed, int Delivered, int Refundable, int Calls) Facts(JsonElement billing) => (
        billing.GetProperty("billedImages").GetInt32(), billing.GetProperty("deliveredImages").GetInt32(),
        billing.GetProperty("refundableImages").GetInt32(), billing.GetProperty("billedCalls").GetInt32());
}
