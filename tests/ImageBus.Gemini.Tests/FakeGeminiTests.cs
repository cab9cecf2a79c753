using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using ImageBus.FakeGemini;
using ImageBus.Gemini.Wire;

namespace ImageBus.Gemini.Tests;

/// <summary>The fake itself, over raw HTTP where the client would hide it: both API versions, Google's error shapes,
/// models.list paging, each model's imageConfig rules, quotas, real PNGs, key rules and marker parsing.</summary>
public sealed class FakeGeminiTests(FakeGeminiFixture fake) : IClassFixture<FakeGeminiFixture>
{
    [Fact]
    public async Task Images_are_valid_pngs_that_follow_the_prompt()
    {
        var client = fake.Client();
        var prompt = FakeGeminiFixture.Prompt();

        var first = await client.GenerateImageAsync(new GeminiImageRequest(prompt, "3:2"), default);
        var same = await client.GenerateImageAsync(new GeminiImageRequest(prompt, "3:2"), default);
        var other = await client.GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), "3:2"), default);

        var (width, height) = Png.Size(first.Bytes);
        Assert.Equal(height * (1 + (width * 3)), Png.Inflate(first.Bytes).Length);
        Assert.Equal(first.Bytes, same.Bytes);
        Assert.NotEqual(first.Bytes, other.Bytes);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v1beta")]
    public async Task Both_api_versions_list_describe_and_draw_alike(string version)
    {
        using var http = Http();

        var list = await http.GetFromJsonAsync($"{version}/models", GeminiJsonContext.Default.ModelList);
        var model = await http.GetFromJsonAsync($"{version}/models/{GeminiImageModels.Pro3}", GeminiJsonContext.Default.GeminiModel);
        using var drawn = await PostAsync(http, $"{version}/models/{GeminiImageModels.Pro3}:generateContent", Request("2:3", "2K"));
        var answer = await drawn.Content.ReadFromJsonAsync(GeminiJsonContext.Default.GenerateContentResponse);

        Assert.Equal(6, list?.Models?.Count);
        Assert.Equal("models/gemini-3-pro-image", model?.Name);
        Assert.Equal(HttpStatusCode.OK, drawn.StatusCode);
        var png = answer?.Candidates?[0].Content?.Parts[0].InlineData?.Data;
        Assert.Equal((1365, 2048), Png.Size(png!));
        Assert.Equal(1120, answer?.UsageMetadata?.CandidatesTokenCount);
        Assert.Contains(fake.Requests.All, r => r.Version == version && r.Path == $"/{version}/models/{GeminiImageModels.Pro3}:generateContent");
    }

    [Theory]
    [InlineData("GET", "v1/tunedModels")]
    [InlineData("GET", "v1beta/models/gemini-3-pro-image/extra")]
    [InlineData("POST", "v1/models/gemini-3-pro-image:streamGenerateContent")]
    [InlineData("POST", "v1beta/files")]
    [InlineData("DELETE", "v1beta/models/gemini-3-pro-image")]
    [InlineData("GET", "v1beta")]
    public async Task Unknown_routes_answer_googles_json_404(string method, string path)
    {
        using var http = Http();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("x-goog-api-key", FakeGeminiFixture.ApiKey);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(Request(null, null), GeminiJsonContext.Default.GenerateContentRequest);
        }

        using var response = await http.SendAsync(request);
        var error = await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((404, "NOT_FOUND"), (error?.Error.Code, error?.Error.Status));
        Assert.False(string.IsNullOrEmpty(error?.Error.Message));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v1beta")]
    public async Task An_unknown_model_is_googles_404_naming_the_version(string version)
    {
        using var http = Http();

        using var response = await http.GetAsync(new Uri($"{version}/models/gemini-0-nonexistent", UriKind.Relative));
        var error = await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains($"API version {version},", error?.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v1beta")]
    public async Task The_model_list_pages_with_page_size_and_page_token(string version)
    {
        using var http = Http();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await http.GetFromJsonAsync(
                $"{version}/models?pageSize=4" + (token is null ? "" : $"&pageToken={Uri.EscapeDataString(token)}"),
                GeminiJsonContext.Default.ModelList);
            seen.AddRange(page!.Models!.Select(m => m.Id));
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(2, pages);
        Assert.Equal(
            ["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image", "gemini-3.8-flash", "imagen-4.0-generate-001", "gemini-embedding-001"],
            seen);
    }

    [Fact]
    public async Task Page_size_is_capped_and_a_bad_page_token_is_an_invalid_argument()
    {
        await using var capped = await FakeGeminiFixture.StartAsync("--FakeGemini:MaxPageSize=2", "--FakeGemini:DefaultPageSize=1");
        using var http = capped.Http();
        http.DefaultRequestHeaders.Add("x-goog-api-key", FakeGeminiFixture.ApiKey);

        var big = await http.GetFromJsonAsync("v1beta/models?pageSize=1000", GeminiJsonContext.Default.ModelList);
        var unsized = await http.GetFromJsonAsync("v1beta/models", GeminiJsonContext.Default.ModelList);
        using var badToken = await http.GetAsync(new Uri("v1beta/models?pageToken=not-a-token", UriKind.Relative));
        using var badSize = await http.GetAsync(new Uri("v1beta/models?pageSize=-3", UriKind.Relative));

        Assert.Equal(2, big?.Models?.Count);
        Assert.NotNull(big?.NextPageToken);
        Assert.Equal(1, unsized?.Models?.Count);
        Assert.Equal(HttpStatusCode.BadRequest, badToken.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", (await badToken.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope))?.Error.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badSize.StatusCode);
    }

    [Theory]
    [InlineData(GeminiImageModels.FlashLite31, null, "4K", "image_size")]
    [InlineData(GeminiImageModels.FlashLite31, null, "512", "image_size")]
    [InlineData(GeminiImageModels.FlashLite31, "4:1", null, "aspect_ratio")]
    [InlineData(GeminiImageModels.Pro3, null, "512", "image_size")]
    [InlineData(GeminiImageModels.Pro3, "1:8", null, "aspect_ratio")]
    [InlineData(GeminiImageModels.Pro3, "1:4", "2K", "aspect_ratio")]
    [InlineData(GeminiImageModels.Flash31, "7:5", null, "aspect_ratio")]
    [InlineData(GeminiImageModels.Flash31, null, "1k", "image_size")]
    public async Task An_image_config_outside_the_models_rules_is_googles_invalid_argument(
        string model, string? ratio, string? size, string field)
    {
        using var http = Http();

        using var response = await PostAsync(http, $"v1beta/models/{model}:generateContent", Request(ratio, size));
        var error = await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((400, "INVALID_ARGUMENT"), (error?.Error.Code, error?.Error.Status));
        Assert.Contains($"image_config.{field}", error?.Error.Message, StringComparison.Ordinal);
        Assert.Contains(model, error?.Error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GeminiImageModels.Flash31, "1:8", "512", 64, 512)]
    [InlineData(GeminiImageModels.Flash31, "4:1", "4K", 4096, 1024)]
    [InlineData(GeminiImageModels.Pro3, "21:9", "4K", 4096, 1755)]
    [InlineData(GeminiImageModels.FlashLite31, "16:9", "1K", 1024, 576)]
    [InlineData(GeminiImageModels.FlashLite31, null, null, 1024, 1024)]
    public async Task An_image_config_within_the_models_rules_is_drawn_to_size(
        string model, string? ratio, string? size, int width, int height)
    {
        var image = await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), ratio, size, Model: model), default);

        Assert.Equal((width, height), Png.Size(image.Bytes));
    }

    [Theory]
    [InlineData(GeminiImageModels.Pro3, "4K", 2000)]
    [InlineData(GeminiImageModels.Pro3, null, 1120)]
    [InlineData(GeminiImageModels.Flash31, "512", 747)]
    [InlineData(GeminiImageModels.Flash31, "1K", 1290)]
    public async Task Output_tokens_follow_the_published_figures(string model, string? size, int tokens)
    {
        var image = await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), ImageSize: size, Model: model), default);

        Assert.Equal(tokens, image.Usage?.CandidatesTokenCount);
    }

    [Fact]
    public async Task A_listed_text_model_refuses_to_draw_and_an_imagen_model_has_no_generate_content()
    {
        using var http = Http();

        using var text = await PostAsync(http, "v1beta/models/gemini-3.8-flash:generateContent", Request(null, null));
        using var imagen = await PostAsync(http, "v1beta/models/imagen-4.0-generate-001:generateContent", Request(null, null));

        Assert.Equal(HttpStatusCode.BadRequest, text.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, imagen.StatusCode);
    }

    [Fact]
    public async Task The_model_lists_are_configurable()
    {
        await using var custom = await FakeGeminiFixture.StartAsync(
            "--FakeGemini:Models:0=gemini-2.5-flash-image", "--FakeGemini:ListOtherModels=false");

        var models = await custom.Client().ListModelsAsync(default);
        var image = await custom.Client(("Gemini:Model", "gemini-2.5-flash-image"))
            .GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt(), "16:9", "4K"), default);

        Assert.Equal(["gemini-2.5-flash-image"], models.Select(m => m.Id));
        Assert.Equal((4096, 2304), Png.Size(image.Bytes));
    }

    [Theory]
    [InlineData("[fake:quota=minute]", "GenerateRequestsPerMinutePerProjectPerModel", "45.837906927s")]
    [InlineData("[fake:quota=day]", "GenerateRequestsPerDayPerProjectPerModel", "21s")]
    public async Task Quota_markers_answer_googles_429_with_quota_failure_and_retry_info(string marker, string quotaId, string delay)
    {
        using var http = Http();

        using var response = await PostAsync(http, $"v1/models/{GeminiImageModels.Flash31}:generateContent",
            new GenerateContentRequest([new Content([new Part(FakeGeminiFixture.Prompt(marker))], "user")]));
        var error = (await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope))?.Error;

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("RESOURCE_EXHAUSTED", error?.Status);
        var violation = Assert.Single(Assert.Single(error!.Details!, d => d.Type == ErrorDetail.QuotaFailureType).Violations!);
        Assert.Equal(quotaId, violation.QuotaId);
        Assert.Equal(GeminiImageModels.Flash31, violation.QuotaDimensions?["model"]);
        Assert.Equal(delay, Assert.Single(error.Details!, d => d.Type == ErrorDetail.RetryInfoType).RetryDelay);
        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_counted_quota_marker_lets_later_calls_through()
    {
        var client = fake.Client();
        var prompt = FakeGeminiFixture.Prompt("[fake:quota=day:1]");

        await Assert.ThrowsAsync<GeminiException>(() => client.GenerateImageAsync(new GeminiImageRequest(prompt), default));
        var image = await client.GenerateImageAsync(new GeminiImageRequest(prompt), default);

        Assert.True(Png.HasSignature(image.Bytes));
    }

    [Fact]
    public async Task A_call_without_a_key_is_denied()
    {
        using var http = Http(key: null);

        using var response = await http.GetAsync(new Uri("v1beta/models", UriKind.Relative));
        var error = await response.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("PERMISSION_DENIED", error?.Error.Status);
    }

    [Fact]
    public async Task The_request_log_records_each_call_with_its_version_model_markers_and_status()
    {
        var prompt = FakeGeminiFixture.Prompt("[fake:error=503]");

        await Assert.ThrowsAsync<GeminiException>(() => fake.Client().GenerateImageAsync(new GeminiImageRequest(prompt), default));

        FakeRequest? logged = null;
        for (var tries = 0; tries < 100 && logged is null; tries++)
        {
            logged = fake.Requests.GenerateContent.SingleOrDefault(r => r.Prompt == prompt);
            await Task.Delay(logged is null ? 50 : 0);
        }

        Assert.NotNull(logged);
        Assert.Equal(new FakeRequest("POST", $"/v1beta/models/{GeminiImageModels.Flash31}:generateContent", "v1beta",
            GeminiImageModels.Flash31, "[fake:error=503]", 503, prompt, logged.InlineData), logged with { ReceivedAt = null });
        Assert.NotNull(logged.ReceivedAt);
        Assert.Empty(logged.InlineData);
    }

    [Fact]
    public async Task The_request_log_records_the_hash_of_each_source_image_sent()
    {
        var prompt = FakeGeminiFixture.Prompt();
        byte[] source = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];

        await fake.Client().GenerateImageAsync(new GeminiImageRequest(prompt, SourceImage: source, SourceMimeType: "image/png"), default);

        FakeRequest? logged = null;
        for (var tries = 0; tries < 100 && logged is null; tries++)
        {
            logged = fake.Requests.GenerateContent.SingleOrDefault(r => r.Prompt == prompt);
            await Task.Delay(logged is null ? 50 : 0);
        }

        Assert.Equal([new FakeInlineData("image/png", source.Length, Convert.ToHexString(SHA256.HashData(source)))], logged!.InlineData);
    }

    [Fact]
    public void Markers_combine_and_unknown_ones_are_reported()
    {
        var script = FakeGeminiMarkers.Parse("x [fake:latency=25] y [fake:fail-first=3:429] [fake:no-image] [fake:quota=day:2]");
        var typo = FakeGeminiMarkers.Parse("x [fake:error=abc]");
        var badQuota = FakeGeminiMarkers.Parse("x [fake:quota=hour]");

        Assert.Equal(25, script.LatencyMs);
        Assert.Equal((3, 429), (script.FailFirstCount, script.FailFirstStatus));
        Assert.True(script.NoImage);
        Assert.Equal((FakeQuotaWindow.Day, 2), (script.QuotaWindow, script.QuotaCalls));
        Assert.Null(script.Invalid);
        Assert.Equal("[fake:error=abc]", typo.Invalid);
        Assert.Equal("[fake:quota=hour]", badQuota.Invalid);
    }

    [Fact]
    public async Task A_latency_marker_delays_the_answer()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await fake.Client().GenerateImageAsync(new GeminiImageRequest(FakeGeminiFixture.Prompt("[fake:latency=400]")), default);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"answered after {clock.Elapsed}");
    }

    private HttpClient Http(string? key = FakeGeminiFixture.ApiKey)
    {
        var http = fake.Http();
        if (key is not null)
        {
            http.DefaultRequestHeaders.Add("x-goog-api-key", key);
        }

        return http;
    }

    private static GenerateContentRequest Request(string? ratio, string? size) => new(
        [new Content([new Part(FakeGeminiFixture.Prompt())], "user")],
        new GenerationConfig(["IMAGE"], ratio is null && size is null ? null : new ImageConfig(ratio, size)));

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, GenerateContentRequest request) =>
        http.PostAsync(new Uri(path, UriKind.Relative), JsonContent.Create(request, GeminiJsonContext.Default.GenerateContentRequest));
}
