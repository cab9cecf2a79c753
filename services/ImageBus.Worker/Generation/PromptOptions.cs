using System.ComponentModel.DataAnnotations;

namespace ImageBus.Worker.Generation;

/// <summary>Prompt templates (section <c>Prompts</c>): per kind, <c>{name}</c> and <c>{description}</c> are replaced by the
/// item's, and custom items bring their whole prompt; a staged item's two steps have a template each, which may also use
/// <c>{prompt}</c>, and whose generation template must place <c>{analysis}</c>, the first step's answer. Checked at start-up:
/// a placeholder a template may not use stops the worker.</summary>
public sealed class PromptOptions : IValidatableObject
{
    public const string Section = "Prompts";

    [Required]
    public string Evidence { get; set; } =
        "A photorealistic close-up photograph of a piece of crime-scene evidence: {name}. {description} " +
        "Neutral background, evidence-marker lighting, sharp focus, no text.";

    [Required]
    public string Location { get; set; } =
        "A cinematic establishing shot of a location in a detective story: {name}. {description} " +
        "Moody natural light, wide angle, no people, no text.";

    /// <summary>Step 1 of a staged item: what the text model is asked about the source image sent with it.</summary>
    [Required]
    public string StagedAnalysis { get; set; } =
        "You are briefing an illustrator who will make a new image from the attached source image: {name}. {description} {prompt} " +
        "Describe the source image: its subject, composition, perspective, colours, lighting, textures and every detail the new " +
        "image should keep. Plain prose, no preamble, at most 200 words.";

    /// <summary>Step 2 of a staged item: the image model's prompt, sent with the source image again.</summary>
    [Required]
    public string StagedGeneration { get; set; } =
        "Make a new image from the attached source image: {name}. An analysis of the source image: {analysis} " +
        "What the new image should be: {description} {prompt} No text in the image.";

    public const string Name = "{name}";
    public const string Description = "{description}";
    public const string Prompt = "{prompt}";
    public const string Analysis = "{analysis}";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var problems = new[]
        {
            Check(nameof(Evidence), Evidence, [Name, Description]),
            Check(nameof(Location), Location, [Name, Description]),
            Check(nameof(StagedAnalysis), StagedAnalysis, [Name, Description, Prompt]),
            Check(nameof(StagedGeneration), StagedGeneration, [Name, Description, Prompt, Analysis]),
        }.SelectMany(p => p);
        foreach (var problem in problems)
        {
            yield return problem;
        }

        if (StagedGeneration is not null && !StagedGeneration.Contains(Analysis, StringComparison.Ordinal))
        {
            yield return new ValidationResult(
                $"{Section}:{nameof(StagedGeneration)} must contain {Analysis}: step 2 is generated from step 1's analysis.",
                [nameof(StagedGeneration)]);
        }
    }

    static IEnumerable<ValidationResult> Check(string setting, string? template, string[] allowed) =>
        PromptBuilder.Placeholders(template ?? "")
            .Where(placeholder => !allowed.Contains(placeholder))
            .Distinct()
            .Select(placeholder => new ValidationResult(
                $"{Section}:{setting} uses {placeholder}, which it may not: it may use {string.Join(", ", allowed)}.", [setting]));
}
