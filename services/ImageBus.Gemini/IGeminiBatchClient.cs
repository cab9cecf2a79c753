namespace ImageBus.Gemini;

/// <summary>Gemini's Batch API for images, one HTTP call per method (<see cref="ListBatchesAsync"/>: one a page), no
/// retries and outside the live calls' request budget (batches have quotas of their own). Failures of a call surface as
/// <see cref="GeminiException"/>; a failed request inside a batch as its <see cref="GeminiBatchResult.Error"/>.</summary>
public interface IGeminiBatchClient
{
    /// <summary><c>POST v1beta/models/{model}:batchGenerateContent</c> with the requests inlined, each keyed by its
    /// <see cref="GeminiBatchRequest.Key"/>; when inline they would be over <see cref="GeminiOptions.BatchInlineMaxBytes"/>,
    /// uploaded first as a JSONL file (<c>POST upload/v1beta/files</c>, resumable) that the batch names instead. The input
    /// file is left to Gemini's own 48-hour expiry. Not idempotent (Google makes a second batch for the same call): give each
    /// batch a <paramref name="displayName"/> of its own, so that after a crash <see cref="ListBatchesAsync"/> can tell
    /// whether it was made.</summary>
    /// <exception cref="GeminiException"><see cref="GeminiErrorCodes.ModelNotAllowed"/> without a call when
    /// <paramref name="model"/> is outside <see cref="GeminiOptions.AllowedModels"/>.</exception>
    Task<GeminiBatch> CreateImageBatchAsync(string model, string displayName, IReadOnlyList<GeminiBatchRequest> requests, CancellationToken ct);

    /// <summary><c>GET v1beta/{name}</c> (<c>batches/…</c>), with each request's result once the batch has succeeded: from
    /// its inlined responses, or for a batch made from a file from its responses file
    /// (<c>GET download/v1beta/{file}:download?alt=media</c>, read as it arrives).</summary>
    Task<GeminiBatch> GetBatchAsync(string name, CancellationToken ct);

    /// <summary><c>GET v1beta/batches</c>, every page (following <c>nextPageToken</c>). A batch made from a file lists
    /// without results (its responses file is not downloaded here: <see cref="GetBatchAsync"/> does).</summary>
    Task<IReadOnlyList<GeminiBatch>> ListBatchesAsync(CancellationToken ct);

    /// <summary><c>POST v1beta/{name}:cancel</c>; a batch that has ended stays as it ended.</summary>
    Task CancelBatchAsync(string name, CancellationToken ct);
}

/// <summary>One image request of a batch. <paramref name="Key"/> comes back with its result; the model is the
/// batch's (<see cref="GeminiImageRequest.Model"/> is not read).</summary>
public sealed record GeminiBatchRequest(string Key, GeminiImageRequest Image);

/// <summary>Where a batch is. Gemini writes <c>BATCH_STATE_*</c> over REST and <c>JOB_STATE_*</c> in its SDKs.</summary>
public enum GeminiBatchState
{
    Unspecified,
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
}

/// <summary>A batch as Gemini last described it.</summary>
/// <param name="Name">Gemini's resource name, <c>batches/…</c>.</param>
/// <param name="Model">The model id (without <c>models/</c>).</param>
/// <param name="Results">Each request's result, in request order; empty until the batch has succeeded (a failed,
/// expired or cancelled batch has none).</param>
public sealed record GeminiBatch(
    string Name, string DisplayName, string Model, GeminiBatchState State, IReadOnlyList<GeminiBatchResult> Results, string? Error = null)
{
    /// <summary>Whether the batch will change no more.</summary>
    public bool HasEnded => State is GeminiBatchState.Succeeded or GeminiBatchState.Failed or GeminiBatchState.Cancelled or GeminiBatchState.Expired;
}

/// <summary>One request's outcome: the image, or why there is none (the same failures a live call reports).</summary>
public sealed record GeminiBatchResult(string Key, GeminiImage? Image, GeminiException? Error);

/// <summary>Creating a batch exactly once, although Gemini's create is not idempotent.</summary>
public static class GeminiBatchClientExtensions
{
    /// <summary>The batch whose display name is <paramref name="intentId"/> if Gemini already has one (a create that
    /// went through before its caller crashed, or lost its answer), else a new one under that name. For the caller that
    /// recorded the intent before creating and finds it without a batch name: it lists every batch, so a normal create
    /// calls <see cref="IGeminiBatchClient.CreateImageBatchAsync"/> directly. One caller per intent at a time (the
    /// caller holds the intent's lock): two at once could both find none and both create.</summary>
    public static async Task<GeminiBatch> CreateOnceAsync(
        this IGeminiBatchClient client, string model, string intentId, IReadOnlyList<GeminiBatchRequest> requests, CancellationToken ct) =>
        (await client.ListBatchesAsync(ct)).FirstOrDefault(b => b.DisplayName == intentId)
        ?? await client.CreateImageBatchAsync(model, intentId, requests, ct);
}
