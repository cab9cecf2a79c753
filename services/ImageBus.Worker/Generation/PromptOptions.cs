using System.ComponentModel.DataAnnotations;

namespace ImageBus.Worker.Generation;

/// <summary>Prompt templates per kind (section <c>Prompts</c>); <c>{name}</c> and <c>{description}</c>
/// are replaced by the item's. Custom items bring their whole prompt.</summary>
public sealed class PromptOptions
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
}
