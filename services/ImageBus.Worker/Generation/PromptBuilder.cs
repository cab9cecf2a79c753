using ImageBus.Contracts;
using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>Turns a case item into the prompt sent to Gemini.</summary>
public sealed class PromptBuilder(IOptions<PromptOptions> options)
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

        return template.Replace("{name}", item.Name, StringComparison.Ordinal)
            .Replace("{description}", item.Description ?? "", StringComparison.Ordinal)
            .Trim();
    }
}
