using System.Net;
using System.Net.Http.Json;
using System.Text;
using ImageBus.Gemini.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Gemini.Tests;

/// <summary>Batches too big to go inline: the client uploads a JSONL file through the Files API and reads the results
/// from the batch's responses file; FakeGemini's Files API (resumable upload, get, download, delete) and its refusals.</summary>
public sealed class GeminiBatchFileTests
{
    // Small enough that any batch goes as a file.
    private static readonly (string, string?) FileAlways = ("Gemini:BatchInlineMaxBytes", "100");

    [Fact]
    public async Task A_batch_over_the_inline_limit_goes_up_as_a_file_and_its_results_come_back_by_key()
    {
        await using var fake = await Ended();
        var client = Client(fake, FileAlways);

        var created = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-file-1",
            Requests(("job-1:a:1", ""), ("job-1:bad:1", "[fake:error=400]"), ("job-1:c:1", "")), CancellationToken.None);
        var batch = await client.GetBatchAsync(created.Name, CancellationToken.None);

        Assert.Equal(GeminiBatchState.Succeeded, batch.State);
        Assert.Equal(["job-1:a:1", "job-1:bad:1", "job-1:c:1"], batch.Results.Select(r => r.Key));
        var results = batch.Results.ToDictionary(r => r.Key);
        Assert.All([results["job-1:a:1"], results["job-1:c:1"]], r =>
        {
            Assert.Null(r.Error);
            Assert.True(Png.HasSignature(r.Image!.Bytes));
        });
        Assert.Equal((GeminiErrorCodes.InvalidArgument, 400, false),
            (results["job-1:bad:1"].Error?.ErrorCode, results["job-1:bad:1"].Error?.HttpStatus, results["job-1:bad:1"].Error?.IsTransient));
        Assert.Null(results["job-1:bad:1"].Image);
        Assert.Equal(created.Results.Select(r => r.Key), batch.Results.Select(r => r.Key));

        var log = fake.Requests.All;
        // The start call and the bytes with "upload, finalize", then the create naming the file, each request's markers noted.
        Assert.Equal(2, log.Count(r => r is { Method: "POST", Path: "/upload/v1beta/files", Status: 200 }));
        Assert.Contains(log, r => r.Path.EndsWith(":batchGenerateContent", StringComparison.Ordinal) && r.Markers == "[fake:error=400]" && r.Status == 200);
        Assert.Contains(log, r => r.Method == "GET" && r.Path.StartsWith("/download/v1beta/files/", StringComparison.Ordinal)
                                  && r.Path.EndsWith(":download", StringComparison.Ordinal) && r.Status == 200);
    }

    [Fact]
    public async Task A_batch_within_the_limit_stays_inline()
    {
        await using var fake = await Ended();

        var batch = await Client(fake).CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-file-2", Requests(("a", "")), CancellationToken.None);

        Assert.Equal(["a"], batch.Results.Select(r => r.Key));
        Assert.DoesNotContain(fake.Requests.All, r => r.Path.StartsWith("/upload/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_file_batch_has_no_results_and_nothing_to_download()
    {
        await using var fake = await FakeGeminiFixture.StartAsync(
            "--FakeGemini:BatchPendingTime=00:00:00", "--FakeGemini:BatchRunTime=00:00:00", "--FakeGemini:BatchesExpire=true");
        var client = Client(fake, FileAlways);

        var created = await client.CreateImageBatchAsync(GeminiImageModels.Flash31, "intent-file-3", Requests(("a", ""), ("b", "")), CancellationToken.None);
        var batch = await client.GetBatchAsync(created.Name, CancellationToken.None);

        Assert.Equal((GeminiBatchState.Expired, true), (batch.State, batch.HasEnded));
        Assert.Empty(batch.Results);
        Assert.Contains(fake.Requests.All, r => r.Path == "/upload/v1beta/files");
        Assert.DoesNotContain(fake.Requests.All, r => r.Path.StartsWith("/download/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_fake_files_api_uploads_describes_downloads_and_deletes_and_refuses_a_malformed_input_file()
    {
        await using var fake = await Ended();
        using var http = fake.Http();
        http.DefaultRequestHeaders.Add("x-goog-api-key", FakeGeminiFixture.ApiKey);
        var good = """{"key": "k1", "request": {"contents": [{"parts": [{"text": "a cat"}]}]}}""";
        var malformed = Encoding.UTF8.GetBytes($"{good}\n\n{{\"key\": \"k2\", \"request\": {{\"contents\": [\n{good}\n");
        var keyless = Encoding.UTF8.GetBytes($"{good}\n{{\"request\": {{\"contents\": [{{\"parts\": [{{\"text\": \"a dog\"}}]}}]}}}}\n");

        using var anonymous = await fake.Http().PostAsync("upload/v1beta/files", null);
        var file = await UploadAsync(http, malformed);
        var keylessFile = await UploadAsync(http, keyless);
        var described = await http.GetFromJsonAsync($"v1beta/{file.Name}", GeminiJsonContext.Default.GeminiFile);
        var downloaded = await http.GetByteArrayAsync($"download/v1beta/{file.Name}:download?alt=media");
        using var refused = await CreateFromFileAsync(http, file.Name!);
        using var refusedKeyless = await CreateFromFileAsync(http, keylessFile.Name!);
        using var missing = await CreateFromFileAsync(http, "files/nope");
        using var deleted = await http.DeleteAsync($"v1beta/{file.Name}");
        using var gone = await http.GetAsync($"v1beta/{file.Name}");

        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.StartsWith("files/", file.Name, StringComparison.Ordinal);
        Assert.Equal(("ACTIVE", malformed.LongLength, "batch-input", "application/jsonl"),
            (described?.State, described?.SizeBytes, described?.DisplayName, described?.MimeType));
        Assert.Equal(malformed, downloaded);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"line 3 of {file.Name}", (await refused.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope))?.Error.Message,
            StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, refusedKeyless.StatusCode);
        Assert.Contains($"line 2 of {keylessFile.Name}",
            (await refusedKeyless.Content.ReadFromJsonAsync(GeminiJsonContext.Default.ErrorEnvelope))?.Error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Empty(await Client(fake).ListBatchesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_inline_limit_must_be_positive()
    {
        await using var fake = await Ended();
        using var services = fake.Services(null, ("Gemini:BatchInlineMaxBytes", "0"));

        var refused = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<GeminiOptions>>().Value);

        Assert.Contains(nameof(GeminiOptions.BatchInlineMaxBytes), refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Google's resumable upload in two chunks, as a client of the raw API would do it.</summary>
    private static async Task<GeminiFile> UploadAsync(HttpClient http, byte[] data)
    {
        using var start = new HttpRequestMessage(HttpMethod.Post, "upload/v1beta/files")
        {
            Content = JsonContent.Create(new GeminiFileEnvelope(new GeminiFile(DisplayName: "batch-input")), GeminiJsonContext.Default.GeminiFileEnvelope),
        };
        start.Headers.Add(GoogUpload.Protocol, "resumable");
        start.Headers.Add(GoogUpload.Command, "start");
        start.Headers.Add(GoogUpload.ContentLength, data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.Headers.Add(GoogUpload.ContentType, "application/jsonl");
        using var started = await http.SendAsync(start);
        started.EnsureSuccessStatusCode();
        var url = started.Headers.GetValues(GoogUpload.Url).Single();
        var half = data.Length / 2;
        using var first = await SendChunkAsync(http, url, data[..half], 0, "upload");
        using var last = await SendChunkAsync(http, url, data[half..], half, "upload, finalize");
        Assert.Equal(("active", "final"), (first.Headers.GetValues(GoogUpload.Status).Single(), last.Headers.GetValues(GoogUpload.Status).Single()));
        return (await last.Content.ReadFromJsonAsync(GeminiJsonContext.Default.GeminiFileEnvelope))!.File;
    }

    private static async Task<HttpResponseMessage> SendChunkAsync(HttpClient http, string url, byte[] chunk, int offset, string command)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(chunk) };
        message.Headers.TryAddWithoutValidation(GoogUpload.Command, command);
        message.Headers.Add(GoogUpload.Offset, offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await http.SendAsync(message);
        response.EnsureSuccessStatusCode();
        return response;
    }

    private static Task<HttpResponseMessage> CreateFromFileAsync(HttpClient http, string fileName) =>
        http.PostAsJsonAsync($"v1beta/models/{GeminiImageModels.Flash31}:batchGenerateContent",
            new BatchGenerateContentRequest(new GenerateContentBatch(DisplayName: "d", InputConfig: new BatchInputConfig(FileName: fileName))),
            GeminiJsonContext.Default.BatchGenerateContentRequest);

    // Batches that have ended by the time they are created: the outcome at once, no waiting.
    private static Task<FakeGeminiFixture> Ended() =>
        FakeGeminiFixture.StartAsync("--FakeGemini:BatchPendingTime=00:00:00", "--FakeGemini:BatchRunTime=00:00:00");

    private static IGeminiBatchClient Client(FakeGeminiFixture fake, params (string Key, string? Value)[] overrides) =>
        fake.Services(null, overrides).GetRequiredService<IGeminiBatchClient>();

    private static List<GeminiBatchRequest> Requests(params (string Key, string Markers)[] requests) =>
        [.. requests.Select(r => new GeminiBatchRequest(r.Key, new GeminiImageRequest($"a harbour at dawn {r.Key} {r.Markers}", "16:9", "1K")))];
}
