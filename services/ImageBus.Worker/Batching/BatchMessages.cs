namespace ImageBus.Worker.Batching;

/// <summary>Time to send a batch to Gemini: its wait is up, or it is full. Scheduled with the batch id as its token, so a
/// batch that fills up brings its one seal forward instead of adding a second.</summary>
public sealed record SealGeminiBatch(Guid BatchId);

/// <summary>Time to ask Gemini where a batch stands; scheduled after each look until the batch has ended.</summary>
public sealed record PollGeminiBatch(Guid BatchId);
