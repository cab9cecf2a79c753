using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Jobs;
using ImageBus.Storage;

namespace ImageBus.Orchestrator.Tests;

/// <summary>The limits and charsets of <see cref="CaseValidator"/> and <see cref="Identifiers"/>, and blob keys that follow
/// ids one to one.</summary>
public sealed class InputLimitsTests
{
    [Fact]
    public void A_control_character_anywhere_is_refused_at_its_field_and_never_echoed()
    {
        const string Nul = "a\0b";
        var command = new GenerateCaseImages(Guid.NewGuid(), Nul, Nul,
            [
                new CaseImageItem(Nul, ImageKinds.Evidence, Nul, Nul),
                new CaseImageItem("item-2", Nul, "Name", "Description", AspectRatio: Nul, ImageSize: Nul),
                new CaseImageItem("item-3", ImageKinds.Custom, "Name", Prompt: "a\u0007prompt", SourceImageUrl: "https://example.test/a\0.png"),
            ],
            WebhookUrl: "https://example.test/\u001b", IdempotencyKey: Nul, WebhookEvents: [Nul], Model: Nul);

        var errors = Validate(command);

        Assert.Equal(
            ["caseId", "idempotencyKey", "items[0].description", "items[0].itemId", "items[0].name", "items[1].aspectRatio", "items[1].imageSize",
             "items[1].kind", "items[2].prompt", "items[2].sourceImageUrl", "model", "tenantId", "webhookEvents[0]", "webhookUrl"],
            errors.Select(e => e.Field).Distinct().Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain(e.Message, c => char.IsControl(c)));
    }

    [Fact]
    public void Line_breaks_and_tabs_are_kept_in_prompts_and_descriptions_only()
    {
        var command = Case(new CaseImageItem("a", ImageKinds.Evidence, "Name", "Line one\nline two\tend"),
            new CaseImageItem("b", ImageKinds.Custom, "Name", Prompt: "Line one\r\nline two"),
            new CaseImageItem("c", ImageKinds.Custom, "Two\nlines", Prompt: "p"));

        Assert.Equal(["items[2].name"], Validate(command).Select(e => e.Field));
    }

    [Fact]
    public void Every_length_limit_is_listed_at_once()
    {
        var command = new GenerateCaseImages(Guid.NewGuid(), new string('t', 65), new string('c', 129),
            [new CaseImageItem(new string('i', 65), ImageKinds.Evidence, new string('n', 201), "d")],
            WebhookUrl: "https://example.test/" + new string('w', 2048), IdempotencyKey: new string('k', 256));

        Assert.Equal(["caseId", "idempotencyKey", "items[0].itemId", "items[0].name", "tenantId", "webhookUrl"],
            Validate(command).Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.Empty(Validate(new GenerateCaseImages(Guid.NewGuid(), new string('t', 64), new string('c', 128),
            [new CaseImageItem(new string('i', 64), ImageKinds.Evidence, new string('n', 200), "d")], IdempotencyKey: new string('k', 255))));
    }

    [Theory]
    [InlineData("key with spaces and ~!@#$%^&*()", true)]
    [InlineData("schlüssel", false)]
    [InlineData("tab\tkey", false)]
    [InlineData("", false)]
    public void Idempotency_keys_are_printable_ASCII(string key, bool valid) =>
        Assert.Equal(valid, Validate(Case(Cases.Evidence(1)) with { IdempotencyKey = key }).Count == 0);

    [Theory]
    [InlineData("x.y", true)]
    [InlineData("x_y", true)]
    [InlineData("Evidence-01", true)]
    [InlineData("...", true)]
    [InlineData("x?y", false)]
    [InlineData("x y", false)]
    [InlineData("a/b", false)]
    [InlineData("a\\b", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("ünïcode", false)]
    public void Item_ids_are_of_the_safe_charset(string itemId, bool valid) =>
        Assert.Equal(valid, Validate(Case(Cases.Evidence(1) with { ItemId = itemId })).Count == 0);

    [Theory]
    [InlineData("detective-game", true)]
    [InlineData("a.b_c-1", true)]
    [InlineData("0tenant", true)]
    [InlineData("Tenant", false)]
    [InlineData("-tenant", false)]
    [InlineData(".tenant", false)]
    [InlineData("ten/ant", false)]
    public void Tenant_ids_are_lower_case_letters_digits_and_dot_underscore_dash_from_a_letter_or_digit(string tenantId, bool valid) =>
        Assert.Equal(valid, TenantIds.IsValid(tenantId));

    [Fact]
    public void Item_ids_are_unique_ignoring_case()
    {
        var errors = Validate(Case(Cases.Evidence(1) with { ItemId = "Clue-A" }, Cases.Evidence(2) with { ItemId = "clue-a" }));

        Assert.Equal("items[1].itemId: 'clue-a' is used by an earlier item (ids are compared ignoring case)", Assert.Single(errors).ToString());
    }

    [Fact]
    public void A_long_name_cannot_carry_a_prompt_past_the_limit()
    {
        var options = new JobOptions();
        var description = new string('d', options.MaxPromptLength - 100);

        Assert.Empty(Validate(Case(new CaseImageItem("a", ImageKinds.Evidence, new string('n', 100), description))));
        Assert.Equal(["items[0].description"],
            Validate(Case(new CaseImageItem("a", ImageKinds.Evidence, new string('n', 101), description))).Select(e => e.Field));
        // A prompt is sent as given, name and description aside: only it counts.
        Assert.Empty(Validate(Case(new CaseImageItem("a", ImageKinds.Evidence, new string('n', 200), description, Prompt: "p"))));
        Assert.Equal(["items[0].prompt"],
            Validate(Case(new CaseImageItem("a", ImageKinds.Custom, "n", Prompt: new string('p', options.MaxPromptLength + 1)))).Select(e => e.Field));
    }

    [Fact]
    public void Blob_keys_follow_ids_one_to_one_and_refuse_what_the_validator_refuses()
    {
        var jobId = Guid.NewGuid();
        // x?y and x y both used to become x_y, next to a real x_y.
        string[] ids = ["x.y", "x_y", "x-y", "X_Y"];

        var keys = ids.Select(id => BlobKeys.ForImage("tenant-a", jobId, id, 1, "image.jpg")).ToList();

        Assert.Equal(ids.Length, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids.Zip(keys), pair => Assert.Equal($"tenant-a/{jobId:N}/{pair.First}/attempt-1/image.jpg", pair.Second));
        Assert.All(["x?y", "x y", "a/b", "..", new string('i', 65)],
            id => Assert.Throws<ArgumentException>(() => BlobKeys.ForImage("tenant-a", jobId, id, 1, "image.jpg")));
        Assert.Throws<ArgumentException>(() => BlobKeys.ForImage("Tenant/A", jobId, "x", 1, "image.jpg"));
    }

    static GenerateCaseImages Case(params CaseImageItem[] items) => new(Guid.NewGuid(), Cases.TenantId, Cases.CaseId, items);

    static IReadOnlyList<ValidationError> Validate(GenerateCaseImages command) =>
        CaseValidator.Validate(command, new JobOptions(), new GeminiOptions());
}
