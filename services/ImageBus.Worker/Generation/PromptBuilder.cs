using System.Text.RegularExpressions;
using ImageBus.Contracts;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>Turns a case item into the prompts sent to Gemini.</summary>
public sealed partial class PromptBuilder(IOptions<PromptOptions> options)
{
    public string Build(CaseImageItem item)
    {
        var template = item.Kind switch
        {
            ImageKinds.Evidence => options.Value.Evidence,
            ImageKinds.Location => options.Value.Location,
            _ => null,
        };
        if (template is null || !string.IsNullOrWhiteSpace(item.Prompt))
        {
            // Custom items, and items that bring their own prompt, are sent as given.
            return item.Prompt ?? item.Name;
        }

        return Fill(template, item, analysis: null);
    }

    /// <summary>Step 1 of a staged item: the question about its source image.</summary>
    public string BuildAnalysis(CaseImageItem item) => Fill(options.Value.StagedAnalysis, item, analysis: null);

    /// <summary>Step 2 of a staged item: the generation prompt around step 1's <paramref name="analysis"/>.</summary>
    public string BuildGeneration(CaseImageItem item, string analysis) => Fill(options.Value.StagedGeneration, item, analysis);

    /// <summary>The placeholders (<c>{word}</c>) a template uses.</summary>
    public static IEnumerable<string> Placeholders(string template) => PlaceholderPattern().Matches(template).Select(m => m.Value);

    // One pass: text filled in (a prompt that itself says "{analysis}") is never filled again.
    static string Fill(string template, CaseImageItem item, string? analysis) =>
        Spaces().Replace(PlaceholderPattern().Replace(template, match => match.Value switch
        {
            PromptOptions.Name => item.Name,
            PromptOptions.Description => item.Description ?? "",
            PromptOptions.Prompt => item.Prompt ?? "",
            PromptOptions.Analysis => analysis ?? "",
            var other => other,
        }), " ").Trim();

    [GeneratedRegex(@"\{[a-z]+\}")]
    private static partial Regex PlaceholderPattern();

    // What an absent description or prompt leaves behind.
    [GeneratedRegex(@"[ ]{2,}")]
    private static partial Regex Spaces();
}
