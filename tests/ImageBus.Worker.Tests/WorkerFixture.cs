using ImageBus.Contracts;
using ImageBus.FakeGemini;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Persistence;
using ImageBus.Worker.Throttling;
using ImageBus.Testing;
using ImageBus.Worker.Generation;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace ImageBus.Worker.Tests;

/// <summary>What the consumer tests share: a database of their own with the schema, the real FakeGemini, a server
/// of source images and a temporary blob folder.</summary>
public sealed class WorkerFixture : IAsyncLifetime
{
    public const string Model = GeminiImageModels.Default;
    public const decimal PricePerImage = 0.04m;

    /// <summary>What an image of <see cref="GeminiImageModels.Pro3"/> costs here, apart from the default model's price.</summary>
    public const decimal Pro3PricePerImage = 0.13m;
    public const int SourceImageMaxBytes = 4096;

    /// <summary>The analysis model's prices here, per million tokens (a staged item's step 1).</summary>
    public const decimal AnalysisInputPerMillion = 1000m;
    public const decimal AnalysisOutputPerMillion = 2000m;

    /// <summary>8x8 PNGs, one red and one blue.</summary>
    public static readonly byte[] RedPng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGM4ISeHFTEMLQkAkL9BAbKfPiIAAAAASUVORK5CYII=");
    public static readonly byte[] BluePng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR4nGOQkzuBFTEMLQkAO79BAXNTPmcAAAAASUVORK5CYII=");

    WebApplication? fakeGemini;
    WebApplication? sources;

    public TestDatabase Database { get; private set; } = null!;
    public string StorageRoot { get; } = Directory.CreateTempSubdirectory("imagebus-worker-tests-").FullName;
    public string SourcesUrl { get; private set; } = "";

    /// <summary>What FakeGemini was asked.</summary>
    public FakeRequests GeminiRequests => fakeGemini!.Services.GetRequiredService<FakeRequests>();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        fakeGemini = await FakeGeminiHost.StartAsync();
        sources = await LoopbackApp.StartAsync(app =>
        {
            app.MapGet("/red.png", () => Results.Bytes(RedPng, "image/png"));
            app.MapGet("/blue.png", () => Results.Bytes(BluePng, "image/png"));
            app.MapGet("/text", () => Results.Text("not an image at all"));
            app.MapGet("/huge.png", () => Results.Bytes([.. RedPng, .. new byte[SourceImageMaxBytes]], "image/png"));
            app.MapGet("/overloaded.png", () => Results.StatusCode(503));
        });
        SourcesUrl = sources.Urls.Single();

        await Database.ApplyAsync(OwnedSchema.Of<JobsDbContext>(), OwnedSchema.Of<SharedRateLimiter>());
    }

    public async Task DisposeAsync()
    {
        await fakeGemini!.DisposeAsync();
        await sources!.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(StorageRoot, recursive: true);
    }

    /// <summary>The worker's own registrations (<see cref="WorkerExtensions.AddImageGeneration"/>) with the consumer on
    /// the in-memory test harness, pointing at this fixture's servers; Gemini's retry waits are skipped.</summary>
    public ServiceProvider Services()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:ImageBus"] = Database.ConnectionString,
            ["Gemini:BaseUrl"] = fakeGemini!.Urls.Single(),
            ["Gemini:ApiKey"] = FakeGeminiHost.ApiKey,
            ["Gemini:Model"] = Model,
            ["Gemini:BaseBackoff"] = "00:00:00",
            ["Gemini:MaxBackoff"] = "00:00:00",
            [$"Gemini:Prices:{Model}:PerImage"] = PricePerImage.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"Gemini:Prices:{GeminiImageModels.Pro3}:PerImage"] = Pro3PricePerImage.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"Gemini:Prices:{GeminiOptions.DefaultAnalysisModel}:InputPerMillionTokens"] =
                AnalysisInputPerMillion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"Gemini:Prices:{GeminiOptions.DefaultAnalysisModel}:OutputPerMillionTokens"] =
                AnalysisOutputPerMillion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Storage:Root"] = StorageRoot,
            ["OutboundAddresses:AllowedHosts:0"] = "127.0.0.1/32",
            ["Worker:RequestsPerMinute"] = "100000",
            ["Imaging:SourceImageMaxBytes"] = SourceImageMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        // What a host would give: generating slots stop being handed out once it is stopping.
        services.AddSingleton<IHostApplicationLifetime, ApplicationLifetime>();
        services.AddImageGeneration(configuration);
        services.AddMassTransitTestHarness(bus => bus.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>());
        return services.BuildServiceProvider(validateScopes: true);
    }

    /// <summary>A command for a 512x288 custom image of a job of its own.</summary>
    public static GenerateImage Command(string prompt, string? sourceImageUrl = null, Guid? jobId = null) => new(
        jobId ?? Guid.NewGuid(), "tenant-a", "case-7",
        new CaseImageItem($"item-{Guid.NewGuid():N}", ImageKinds.Custom, "Poster", Prompt: prompt, AspectRatio: "16:9",
            SourceImageUrl: sourceImageUrl),
        512, 288, Attempt: 1);

    /// <summary>A command for a staged 512x288 image (analysis, then generation) of a job of its own.</summary>
    public static GenerateImage StagedCommand(string prompt, string? sourceImageUrl) => new(
        Guid.NewGuid(), "tenant-a", "case-7",
        new CaseImageItem($"item-{Guid.NewGuid():N}", ImageKinds.Staged, $"Harbour {Guid.NewGuid():N}", Prompt: prompt, AspectRatio: "16:9",
            SourceImageUrl: sourceImageUrl),
        512, 288, Attempt: 1);

    /// <summary>Publishes <paramref name="command"/> and waits for the worker's answer to it.</summary>
    public static async Task<object> ProcessAsync(ITestHarness harness, GenerateImage command, int answers = 1)
    {
        await harness.Bus.Publish(command);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var results = harness.Published.Select<ImageGenerated>(m => m.Context.Message.ItemId == command.Item.ItemId)
                .Select(m => (object)m.Context.Message)
                .Concat(harness.Published.Select<ImageGenerationFailed>(m => m.Context.Message.ItemId == command.Item.ItemId)
                    .Select(m => (object)m.Context.Message))
                .ToList();
            if (results.Count >= answers)
            {
                return results[^1];
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no answer to {command.Item.ItemId}");
    }

    /// <summary>Writes the job's saga row as the orchestrator would, in the given state.</summary>
    public async Task InsertJobAsync(Guid jobId, string state)
    {
        await using var connection = new NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO jobs (job_id, current_state, tenant_id, case_id, image_size, created_at, updated_at) "
            + "VALUES (@id, @state, 'tenant-a', 'case-7', 512, now(), now())", connection);
        insert.Parameters.AddWithValue("id", jobId);
        insert.Parameters.AddWithValue("state", state);
        await insert.ExecuteNonQueryAsync();
    }

    /// <summary>Every file the store holds for one image attempt, relative to its folder.</summary>
    public IReadOnlyList<string> FilesOf(GenerateImage command)
    {
        var folder = Path.Combine(StorageRoot, command.TenantId, command.JobId.ToString("N"));
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order().ToList()
            : [];
    }
}
