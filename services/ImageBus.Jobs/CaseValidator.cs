using ImageBus.Contracts;
using ImageBus.Gemini;
using ImageBus.Storage;

namespace ImageBus.Jobs;

/// <summary>One problem with a submitted case; <see cref="Field"/> is a JSON path such as <c>items[2].kind</c>.</summary>
public sealed record ValidationError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>Checks a case before any work starts and lists every problem at once, so the caller
/// can fix them in one go. Shared by the gateway (400) and the orchestrator (rejection event).</summary>
public static class CaseValidator
{
    /// <summary>The problem of a staged item without a source image, on its <c>sourceImageUrl</c>.</summary>
    public const string StagedSourceRequired = "is required for a staged item: give sourceImageUrl or sourceImageUpload (the image to analyse)";

    /// <param name="models">The Gemini model settings the workers call with: which models a job may ask for, and the
    /// default one.</param>
    public static IReadOnlyList<ValidationError> Validate(GenerateCaseImages command, JobOptions options, GeminiOptions models)
    {
        var errors = new List<ValidationError>();
        if (command.JobId == Guid.Empty)
        {
            errors.Add(new("jobId", "must be a non-empty id"));
        }

        if (Require(errors, "tenantId", command.TenantId) && !TenantIds.IsValid(command.TenantId))
        {
            errors.Add(new("tenantId", $"must be 1 to {Identifiers.MaxLength} characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit"));
        }

        if (Require(errors, "caseId", command.CaseId))
        {
            InputText.Check(errors, "caseId", command.CaseId, InputText.MaxCaseIdLength);
        }

        if (command.ImageSize is { } size && (size < options.MinImageSize || size > options.MaxImageSize))
        {
            errors.Add(new("imageSize", $"must be between {options.MinImageSize} and {options.MaxImageSize} pixels"));
        }

        if (command.DeadlineSeconds is { } deadline && (deadline < options.MinDeadlineSeconds || deadline > options.MaxDeadlineSeconds))
        {
            errors.Add(new("deadlineSeconds", $"must be between {options.MinDeadlineSeconds} and {options.MaxDeadlineSeconds} seconds"));
        }

        if (command.IdempotencyKey is { } key && (key.Length is 0 or > InputText.MaxIdempotencyKeyLength || !InputText.IsPrintableAscii(key)))
        {
            errors.Add(new("idempotencyKey", $"must be 1 to {InputText.MaxIdempotencyKeyLength} printable ASCII characters when given"));
        }

        if (command.WebhookUrl is { } webhook && InputText.Check(errors, "webhookUrl", webhook, InputText.MaxUrlLength) && !IsHttpUrl(webhook))
        {
            errors.Add(new("webhookUrl", "must be an absolute http or https URL"));
        }

        var events = command.WebhookEvents ?? [];
        for (var i = 0; i < events.Count; i++)
        {
            if (!WebhookEventTypes.FilterNames.Contains(events[i]))
            {
                errors.Add(new($"webhookEvents[{i}]", $"{InputText.Show(events[i])} is not one of {string.Join(", ", WebhookEventTypes.FilterNames)}"));
            }
        }

        if (command.Mode is { } mode && !GenerationModes.All.Contains(mode))
        {
            errors.Add(new("mode", $"{InputText.Show(mode)} is not one of {string.Join(", ", GenerationModes.All)}"));
        }

        var model = command.Model ?? models.Model;
        var allowed = models.IsAllowed(model);
        if (!allowed)
        {
            errors.Add(new("model", $"{InputText.Show(model)} is not one of {string.Join(", ", models.UsableModels)}"));
        }

        // Against a model that may not be used its rules would only add noise.
        ValidateItems(errors, command, options, allowed ? GeminiImageModels.RulesOf(model) : null);
        return errors;
    }

    static void ValidateItems(List<ValidationError> errors, GenerateCaseImages command, JobOptions options, GeminiImageModel? rules)
    {
        var items = command.Items;
        if (items is null || items.Count == 0)
        {
            errors.Add(new("items", "must list at least one image"));
            return;
        }

        if (items.Count > options.MaxItems)
        {
            errors.Add(new("items", $"must list at most {options.MaxItems} images, not {items.Count}"));
        }

        // Case-insensitively: the ids name blobs, and some file systems and S3 consumers do not tell case apart.
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var path = $"items[{i}]";
            if (item is null)
            {
                errors.Add(new(path, "must not be null"));
                continue;
            }

            if (!Require(errors, $"{path}.itemId", item.ItemId))
            {
                // Reported as missing.
            }
            else if (!Identifiers.IsItemId(item.ItemId))
            {
                errors.Add(new($"{path}.itemId",
                    $"must be 1 to {Identifiers.MaxLength} characters of A-Z, a-z, 0-9, '.', '_', '-', and not '.' or '..'"));
            }
            else if (!seen.Add(item.ItemId))
            {
                errors.Add(new($"{path}.itemId", $"{InputText.Show(item.ItemId)} is used by an earlier item (ids are compared ignoring case)"));
            }

            if (Require(errors, $"{path}.name", item.Name))
            {
                InputText.Check(errors, $"{path}.name", item.Name, InputText.MaxNameLength);
            }

            ValidateKindAndPrompt(errors, path, item, options);
            ValidateImageConfig(errors, path, item, options, rules);
            ValidateSource(errors, path, item, command.TenantId ?? "");
        }
    }

    /// <summary>The aspect ratio and enhancement tier, each against every model's values first and then the job's model.</summary>
    static void ValidateImageConfig(List<ValidationError> errors, string path, CaseImageItem item, JobOptions options, GeminiImageModel? rules)
    {
        if (item.AspectRatio is { } ratio)
        {
            if (!AspectRatios.All.Contains(ratio))
            {
                errors.Add(new($"{path}.aspectRatio", $"{InputText.Show(ratio)} is not one of {string.Join(", ", AspectRatios.All)}"));
            }
            else if (rules?.Check(ratio, null) is { } problem)
            {
                errors.Add(new($"{path}.aspectRatio", problem.Message));
            }
        }

        if (item.ImageSize is { } tier)
        {
            if (GeminiImageModels.LongEdge(tier) is not { } edge)
            {
                errors.Add(new($"{path}.imageSize", $"{InputText.Show(tier)} is not one of {string.Join(", ", GeminiImageModels.ImageSizes)}"));
            }
            else if (rules?.Check(null, tier) is { } problem)
            {
                errors.Add(new($"{path}.imageSize", problem.Message));
            }
            else if (edge > options.MaxImageSize)
            {
                errors.Add(new($"{path}.imageSize", $"'{tier}' makes {edge}-pixel images, over the limit of {options.MaxImageSize} pixels"));
            }
        }
    }

    static void ValidateSource(List<ValidationError> errors, string path, CaseImageItem item, string tenantId)
    {
        if (item.SourceImageUrl is { } source && InputText.Check(errors, $"{path}.sourceImageUrl", source, InputText.MaxUrlLength) && !IsHttpUrl(source))
        {
            errors.Add(new($"{path}.sourceImageUrl", "must be an absolute http or https URL"));
        }

        if (item.Kind == ImageKinds.Staged && item.SourceImageUrl is null && item.SourceImageKey is null)
        {
            errors.Add(new($"{path}.sourceImageUrl", StagedSourceRequired));
        }

        if (item.SourceImageKey is not { } key)
        {
            return;
        }

        if (item.SourceImageUrl is not null)
        {
            errors.Add(new($"{path}.sourceImageKey", "give either sourceImageUrl or sourceImageKey, not both"));
        }

        // The key is read from the blob store as it stands: it must be one of the tenant's own uploads.
        if (!BlobKeys.IsUploadOf(tenantId, key))
        {
            errors.Add(new($"{path}.sourceImageKey", $"must be an upload of the tenant (a key under {BlobKeys.UploadPrefix(tenantId)})"));
        }
    }

    static void ValidateKindAndPrompt(List<ValidationError> errors, string path, CaseImageItem item, JobOptions options)
    {
        if (!ImageKinds.All.Contains(item.Kind ?? ""))
        {
            errors.Add(new($"{path}.kind", $"{InputText.Show(item.Kind)} is not one of {string.Join(", ", ImageKinds.All)}"));
        }
        else if (item.Kind == ImageKinds.Custom)
        {
            Require(errors, $"{path}.prompt", item.Prompt);
        }
        else if (string.IsNullOrWhiteSpace(item.Description) && string.IsNullOrWhiteSpace(item.Prompt))
        {
            errors.Add(new($"{path}.description", "is required (or give a prompt)"));
        }

        if (item.Prompt is not null)
        {
            InputText.Check(errors, $"{path}.prompt", item.Prompt, options.MaxPromptLength, multiLine: true);
        }

        if (item.Description is not null && InputText.Check(errors, $"{path}.description", item.Description, options.MaxPromptLength, multiLine: true)
            && string.IsNullOrWhiteSpace(item.Prompt))
        {
            // Without a prompt the worker fills name and description into the kind's template (whose own text is ours
            // and short): together they are the caller's part of the prompt, so a long name cannot bypass the limit.
            var length = (item.Name?.Length ?? 0) + item.Description.Length;
            if (length > options.MaxPromptLength)
            {
                errors.Add(new($"{path}.description", $"with the name makes a prompt of {length} characters, over {options.MaxPromptLength}"));
            }
        }
    }

    static bool Require(List<ValidationError> errors, string field, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        errors.Add(new(field, "is required"));
        return false;
    }

    static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
