namespace ImageBus.Batches;

/// <summary>Where a batch stands (<c>gemini_batches.state</c>): ours until Gemini has it, then Gemini's.</summary>
public static class BatchStates
{
    /// <summary>Taking requests, until it is full or its wait is up.</summary>
    public const string Open = "open";

    /// <summary>Takes no more requests; its creation is due now.</summary>
    public const string Full = "full";

    /// <summary>Gemini is being asked to create it (the intent is recorded; a crash here is resolved by listing).</summary>
    public const string Creating = "creating";

    public const string Pending = "pending";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";

    /// <summary>States whose creation is still to do: its seal picks it up.</summary>
    public static bool AwaitsCreation(string state) => state is Open or Full or Creating;

    /// <summary>States Gemini may still change: its poll follows it.</summary>
    public static bool IsAtGemini(string state) => state is Pending or Running;
}

/// <summary>Where one image request of a batch stands (<c>gemini_batch_requests.state</c>).</summary>
public static class BatchRequestStates
{
    public const string Queued = "queued";
    public const string Completed = "completed";
    public const string Failed = "failed";

    /// <summary>Its job was cancelled: a result that still comes is discarded.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Its batch ended without a result for it; the saga decides whether it goes live.</summary>
    public const string Abandoned = "abandoned";
}
