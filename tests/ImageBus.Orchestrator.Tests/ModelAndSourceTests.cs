using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Storage;

namespace ImageBus.Orchestrator.Tests;

/// <summary>What a case asks of the model, the size tier and the source image reaches the workers' commands, and a
/// case the model cannot make is rejected on the bus.</summary>
public sealed class ModelAndSourceTests
{
    [Fact]
    public async Task The_job_s_model_tiers_and_source_images_reach_every_command()
    {
        await using var jobs = await JobHarness.Start();
        var upload = BlobKeys.ForUpload(Cases.TenantId);
        CaseImageItem[] items =
        [
            Cases.Evidence(1, "16:9") with { ImageSize = "2K", SourceImageKey = upload },
            Cases.Evidence(2, "9:16") with { SourceImageUrl = "https://images.example.test/a.png" },
        ];
        var command = Cases.Valid(Guid.NewGuid()) with { Items = items, ImageSize = 512, Model = GeminiImageModels.Pro3 };

        await jobs.StartJob(command);

        var sent = (await jobs.Commands()).OrderBy(c => c.Item.ItemId).ToList();
        Assert.All(sent, c => Assert.Equal(GeminiImageModels.Pro3, c.Model));
        Assert.Equal(items, sent.Select(c => c.Item));
        Assert.Equal([(2048, 1152), (288, 512)], sent.Select(c => (c.Width, c.Height)));
        Assert.Equal(GeminiImageModels.Pro3, jobs.Saga.Sagas.Contains(command.JobId)!.Model);
    }

    [Fact]
    public async Task A_job_without_a_model_is_made_by_the_default_one()
    {
        await using var jobs = await JobHarness.Start(settings: new Dictionary<string, string?> { ["Gemini:Model"] = GeminiImageModels.Pro3 });

        var command = await jobs.StartJob();

        Assert.All(await jobs.Commands(), c => Assert.Equal(GeminiImageModels.Pro3, c.Model));
        Assert.Equal(GeminiImageModels.Pro3, jobs.Saga.Sagas.Contains(command.JobId)!.Model);
    }

    [Fact]
    public async Task A_case_its_model_cannot_make_is_rejected_with_each_problem()
    {
        await using var jobs = await JobHarness.Start();
        var command = Cases.Valid(Guid.NewGuid()) with
        {
            Model = GeminiImageModels.FlashLite31,
            Items = [Cases.Evidence(1, "1:8") with { ImageSize = "4K" }],
        };

        await jobs.Publish(command);

        await jobs.InState(command.JobId, machine => machine.Rejected);
        var rejected = Assert.Single(await jobs.Published<CaseImagesRejected>());
        Assert.Equal(
            ["items[0].aspectRatio: aspectRatio '1:8' is not supported by gemini-3.1-flash-lite-image",
             "items[0].imageSize: imageSize '4K' is not supported by gemini-3.1-flash-lite-image"],
            rejected.Errors.Select(e => e[..e.IndexOf(" (", StringComparison.Ordinal)]));
        Assert.Empty(await jobs.Commands());
    }
}
