using System.Net;
using System.Net.Http.Json;
using ImageBus.Gemini.Wire;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Gemini.Tests;

/// <summary>The Batch API through the real client against the fake: a batch's life (pending, running, ended), each
/// request's result under its key, per-request failures, expired, failed and cancelled batches, and listing.</summary>
public sealed class GeminiBatchClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_batch_is_pending_then_running_then_succeeds_with_each_image_under_its_key()
    {
        await using var fake = await FakeGeminiFixture.StartAsync("--FakeGemini:BatchPendingTime=00:00:00.300", "--FakeGemini:BatchRunTime=00:00:00.300");
        var client = Client(fake);
        var requests = Requests(("job-1:item-a:1", ""), ("job-2:item-b:1", ""), ("job-2:item-c:1", ""));

        var created = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-1", requests, CancellationToken.None);
        var seen = new List<GeminiBatchState> { created.State };
        var done = await WaitForEndAsync(client, created.Name, seen);

        Assert.StartsWith("batches/", created.Name, StringComparison.Ordinal);
        Assert.Equal("intent-1", created.DisplayName);
        Assert.Equal(GeminiImageModels.Flash31, created.Model);
        Assert.Equal(GeminiBatchState.Pending, created.State);
        Assert.Empty(created.Results);
        Assert.Equal(GeminiBatchState.Succeeded, done.State);
        Assert.True(done.HasEnded);
        Assert.Equal(seen.Order(), seen);
        Assert.Equal(["job-1:item-a:1", "job-2:item-b:1", "job-2:item-c:1"], done.Results.Select(r => r.Key));
        Assert.All(done.Results, r =>
        {
            Assert.Null(r.Error);
            Assert.True(Png.HasSignature(r.Image!.Bytes));
            Assert.Equal(GeminiImageModels.Flash31, r.Image.Model);
            Assert.True(r.Image.Usage?.CandidatesTokenCount > 0);
        });
        Assert.Equal((1024, 576), Png.Size(done.Results[0].Image!.Bytes));
    }

    [Fact]
    public async Task A_request_with_a_failure_marker_fails_alone_as_a_live_call_would()
    {
        await using var fake = await Ended();
        var client = Client(fake);

        var batch = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-2",
            Requests(("ok", ""), ("bad", "[fake:error=400]"), ("unsafe", "[fake:safety]"), ("busy", "[fake:error=503]")), CancellationToken.None);

        var results = batch.Results.ToDictionary(r => r.Key);
        Assert.Equal(GeminiBatchState.Succeeded, batch.State);
        Assert.NotNull(results["ok"].Image);
        Assert.Equal((GeminiErrorCodes.InvalidArgument, false, 400),
            (results["bad"].Error?.ErrorCode, results["bad"].Error?.IsTransient, results["bad"].Error?.HttpStatus));
        Assert.Equal(("IMAGE_SAFETY", false), (results["unsafe"].Error?.ErrorCode, results["unsafe"].Error?.IsTransient));
        Assert.Equal((GeminiErrorCodes.Unavailable, true), (results["busy"].Error?.ErrorCode, results["busy"].Error?.IsTransient));
        Assert.All(batch.Results.Where(r => r.Key != "ok"), r => Assert.Null(r.Image));
    }

    [Theory]
    [InlineData("[fake:batch=expire]", GeminiBatchState.Expired)]
    [InlineData("[fake:batch=fail]", GeminiBatchState.Failed)]
    public async Task A_batch_marker_makes_the_whole_batch_end_without_results(string marker, GeminiBatchState state)
    {
        await using var fake = await Ended();
        var client = Client(fake);

        var batch = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-3", Requests(("a", ""), ("b", marker)), CancellationToken.None);

        Assert.Equal(state, batch.State);
        Assert.True(batch.HasEnded);
        Assert.Empty(batch.Results);
        Assert.Equal(state == GeminiBatchState.Failed, batch.Error is not null);
        // A live call ignores the batch marker: the same prompt is answered.
        var live = await fake.Client().GenerateImageAsync(Requests(("b", marker))[0].Image, CancellationToken.None);
        Assert.True(Png.HasSignature(live.Bytes));
    }

    [Fact]
    public async Task A_setting_makes_every_batch_expire()
    {
        await using var fake = await FakeGeminiFixture.StartAsync(
            "--FakeGemini:BatchPendingTime=00:00:00", "--FakeGemini:BatchRunTime=00:00:00", "--FakeGemini:BatchesExpire=true");

        var batch = await Client(fake).CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-4", Requests(("a", "")), CancellationToken.None);

        Assert.Equal(GeminiBatchState.Expired, batch.State);
    }

    [Fact]
    public async Task A_pending_batch_can_be_cancelled_and_an_ended_one_stays_as_it_ended()
    {
        await using var pending = await FakeGeminiFixture.StartAsync("--FakeGemini:BatchPendingTime=01:00:00");
        await using var ended = await Ended();
        var waiting = Client(pending);
        var finished = Client(ended);
        var open = await waiting.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-5", Requests(("a", "")), CancellationToken.None);
        var closed = await finished.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-6", Requests(("a", "")), CancellationToken.None);

        await waiting.CancelBatchAsync(open.Name, CancellationToken.None);
        await finished.CancelBatchAsync(closed.Name, CancellationToken.None);

        Assert.Equal(GeminiBatchState.Pending, open.State);
        Assert.Equal(GeminiBatchState.Cancelled, (await waiting.GetBatchAsync(open.Name, CancellationToken.None)).State);
        Assert.Equal(GeminiBatchState.Succeeded, (await finished.GetBatchAsync(closed.Name, CancellationToken.None)).State);
        var missing = await Assert.ThrowsAsync<GeminiException>(() => waiting.CancelBatchAsync("batches/nope", CancellationToken.None));
        Assert.Equal((GeminiErrorCodes.NotFound, 404), (missing.ErrorCode, missing.HttpStatus));
    }

    [Fact]
    public async Task A_running_batch_says_so_and_has_no_results_yet()
    {
        await using var fake = await FakeGeminiFixture.StartAsync("--FakeGemini:BatchPendingTime=00:00:00", "--FakeGemini:BatchRunTime=01:00:00");

        var batch = await Client(fake).CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-7", Requests(("a", "")), CancellationToken.None);

        Assert.Equal((GeminiBatchState.Running, false), (batch.State, batch.HasEnded));
        Assert.Empty(batch.Results);
    }

    [Fact]
    public async Task Listing_follows_every_page_and_creating_twice_makes_two_batches()
    {
        await using var fake = await FakeGeminiFixture.StartAsync("--FakeGemini:MaxPageSize=2");
        var client = Client(fake);
        for (var i = 0; i < 4; i++)
        {
            await client.CreateImageBatchAsync(GeminiImageModels.Flash31, $"intent-{i}", Requests(("a", "")), CancellationToken.None);
        }

        await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-0", Requests(("a", "")), CancellationToken.None);
        var all = await client.ListBatchesAsync(CancellationToken.None);

        Assert.Equal(["intent-0", "intent-1", "intent-2", "intent-3", "intent-0"], all.Select(b => b.DisplayName));
        Assert.Equal(5, all.Select(b => b.Name).Distinct().Count());
        Assert.Equal(3, fake.Requests.All.Count(r => r.Method == "GET" && r.Path == "/v1beta/batches"));
    }

    [Fact]
    public async Task Creating_once_finds_the_batch_a_crashed_caller_made_instead_of_making_a_second()
    {
        await using var fake = await FakeGeminiFixture.StartAsync("--FakeGemini:MaxPageSize=1");
        var client = Client(fake);
        var made = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-crashed", Requests(("a", "")), CancellationToken.None);
        await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-other", Requests(("b", "")), CancellationToken.None);

        var found = await client.CreateOnceAsync(GeminiImageModels.Flash31, "intent-crashed", Requests(("a", "")), CancellationToken.None);
        var fresh = await client.CreateOnceAsync(GeminiImageModels.Flash31, "intent-new", Requests(("c", "")), CancellationToken.None);

        Assert.Equal(made.Name, found.Name);
        Assert.Equal("intent-new", fresh.DisplayName);
        Assert.Equal(["intent-crashed", "intent-other", "intent-new"], (await client.ListBatchesAsync(CancellationToken.None)).Select(b => b.DisplayName));
    }

    [Fact]
    public async Task A_model_outside_the_allowed_ones_is_refused_without_a_call()
    {
        await using var fake = await Ended();

        var refused = await Assert.ThrowsAsync<GeminiException>(() => Client(fake)
            .CreateImageBatchAsync("gemini-unknown-image", "intent-8", Requests(("a", "")), CancellationToken.None));

        Assert.Equal(GeminiErrorCodes.ModelNotAllowed, refused.ErrorCode);
        Assert.Empty(fake.Requests.All);
    }

    [Fact]
    public async Task The_fake_answers_googles_shapes_and_refuses_a_batch_it_cannot_take()
    {
        await using var fake = await Ended();
        using var http = new HttpClient { BaseAddress = new Uri(fake.BaseUrl) };
        http.DefaultRequestHeaders.Add("x-goog-api-key", FakeGeminiFixture.ApiKey);
        var path = $"v1beta/models/{GeminiImageModels.Flash31}:batchGenerateContent";
        var one = new InlinedRequests([new InlinedRequest(new GenerateContentRequest([new Content([new Part("a cat [fake:error=429]")])]),
            new Dictionary<string, string> { ["key"] = "k" })]);

        using var created = await http.PostAsJsonAsync(path, new BatchGenerateContentRequest(new GenerateContentBatch(DisplayName: "d",
            InputConfig: new BatchInputConfig(one))), GeminiJsonContext.Default.BatchGenerateContentRequest);
        var operation = await created.Content.ReadFromJsonAsync(GeminiJsonContext.Default.BatchOperation);
        using var noName = await http.PostAsJsonAsync(path, new BatchGenerateContentRequest(new GenerateContentBatch(
            InputConfig: new BatchInputConfig(one))), GeminiJsonContext.Default.BatchGenerateContentRequest);
        using var noRequests = await http.PostAsJsonAsync(path, new BatchGenerateContentRequest(new GenerateContentBatch(DisplayName: "d",
            InputConfig: new BatchInputConfig(new InlinedRequests([])))), GeminiJsonContext.Default.BatchGenerateContentRequest);
        using var textModel = await http.PostAsJsonAsync($"v1beta/models/{GeminiOptions.DefaultAnalysisModel}:batchGenerateContent",
            new BatchGenerateContentRequest(new GenerateContentBatch(DisplayName: "d", InputConfig: new BatchInputConfig(one))),
            GeminiJsonContext.Default.BatchGenerateContentRequest);
        using var missing = await http.GetAsync("v1beta/batches/nope");
        using var anonymous = await new HttpClient { BaseAddress = new Uri(fake.BaseUrl) }.GetAsync("v1beta/batches");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal((true, "BATCH_STATE_SUCCEEDED"), (operation?.Done, operation?.Metadata?.State));
        Assert.Equal(GenerateContentBatch.MetadataType, operation?.Metadata?.Type);
        Assert.Equal(GenerateContentBatchOutput.ResponseType, operation?.Response?.Type);
        Assert.Equal((1L, 0L, 1L), (operation?.Metadata?.BatchStats?.RequestCount, operation?.Metadata?.BatchStats?.SuccessfulRequestCount,
            operation?.Metadata?.BatchStats?.FailedRequestCount));
        var failed = operation?.Response?.InlinedResponses?.InlinedResponses?.Single();
        Assert.Equal((8, "k"), (failed?.Error?.Code, failed?.Metadata?["key"]));
        Assert.Contains("\"requestCount\":\"1\"", await created.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noName.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noRequests.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, textModel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.Contains(fake.Requests.All, r => r.Path == $"/{path}" && r.Markers == "[fake:error=429]" && r.Status == 200);
    }

    [Fact]
    public async Task Inline_requests_past_the_size_limit_are_refused()
    {
        await using var fake = await FakeGeminiFixture.StartAsync("--FakeGemini:BatchMaxInlineBytes=2000");
        var client = Client(fake);

        var fits = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-9", Requests(("a", "")), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<GeminiException>(() => client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-10",
            Requests(("a", new string('x', 2000))), CancellationToken.None));

        Assert.StartsWith("batches/", fits.Name, StringComparison.Ordinal);
        Assert.Equal((GeminiErrorCodes.InvalidArgument, 400, false), (refused.ErrorCode, refused.HttpStatus, refused.IsTransient));
        Assert.Single(await client.ListBatchesAsync(CancellationToken.None));
    }

    [Fact]
    public void A_batched_image_costs_the_batch_share_of_the_live_price()
    {
        var costs = new GeminiCostEstimator(Microsoft.Extensions.Options.Options.Create(new GeminiOptions
        {
            Prices = { ["by-image"] = new GeminiPrice { PerImage = 0.04m } },
        }));

        Assert.Equal(0.02m, costs.EstimateUsd("by-image", 1, null, batched: true));
        Assert.Equal(0.04m, costs.EstimateUsd("by-image", 1, null));
    }

    // Batches that have ended by the time they are created: the outcome at once, no waiting.
    private static Task<FakeGeminiFixture> Ended() =>
        FakeGeminiFixture.StartAsync("--FakeGemini:BatchPendingTime=00:00:00", "--FakeGemini:BatchRunTime=00:00:00");

    private static IGeminiBatchClient Client(FakeGeminiFixture fake) =>
        fake.Services().GetRequiredService<IGeminiBatchClient>();

    private static List<GeminiBatchRequest> Requests(params (string Key, string Markers)[] requests) =>
        [.. requests.Select(r => new GeminiBatchRequest(r.Key, new GeminiImageRequest($"a harbour at dawn {r.Key} {r.Markers}", "16:9", "1K")))];

    private static async Task<GeminiBatch> WaitForEndAsync(IGeminiBatchClient client, string name, List<GeminiBatchState> seen)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            var batch = await client.GetBatchAsync(name, patience.Token);
            seen.Add(batch.State);
            if (batch.HasEnded)
            {
                return batch;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), patience.Token);
        }
    }
}
