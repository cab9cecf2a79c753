using System.Collections.Concurrent;
using System.Security.Cryptography;
using ImageBus.Gemini.Wire;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>The fake's Batch API, in memory: a batch is pending for <see cref="FakeGeminiOptions.BatchPendingTime"/>,
/// running for <see cref="FakeGeminiOptions.BatchRunTime"/>, then succeeded with one inlined response per request
/// (each answered as generateContent would answer it, so a request's <c>[fake:error=…]</c> marker fails that request
/// alone), or expired/failed as <see cref="FakeGeminiOptions.BatchesExpire"/> or a <c>[fake:batch=…]</c> marker says.
/// As at Google, creating is not idempotent: the same request twice makes two batches.</summary>
internal sealed class FakeBatches(FakeGenerateContent generate, IOptions<FakeGeminiOptions> options, TimeProvider clock)
{
    public const string BatchGenerateContent = "batchGenerateContent";

    private readonly ConcurrentDictionary<string, FakeBatch> _batches = new(StringComparer.Ordinal);

    /// <summary>Every batch, oldest first.</summary>
    public IReadOnlyList<BatchOperation> All => [.. _batches.Values.OrderBy(b => b.Created).ThenBy(b => b.Name, StringComparer.Ordinal).Select(Describe)];

    public async Task<BatchOperation> CreateAsync(string model, GenerateContentBatch batch, IReadOnlyList<InlinedRequest> requests)
    {
        var scripts = requests
            .Select(r => FakeGeminiMarkers.Parse(string.Concat(r.Request.Contents?.SelectMany(c => c.Parts ?? []).Select(p => p.Text) ?? [])))
            .ToList();
        var end = options.Value.BatchesExpire ? FakeBatchEnd.Expired
            : scripts.Select(s => s.BatchEnd).FirstOrDefault(e => e is not null) ?? FakeBatchEnd.Succeeded;
        var responses = new List<InlinedResponse>(requests.Count);
        foreach (var request in requests)
        {
            responses.Add(await generate.AnswerInBatchAsync(model, request));
        }

        var created = new FakeBatch(
            $"batches/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))}", model, batch.DisplayName ?? "", clock.GetUtcNow(), end, responses);
        _batches[created.Name] = created;
        return Describe(created);
    }

    public BatchOperation? Find(string name) => _batches.TryGetValue(name, out var batch) ? Describe(batch) : null;

    /// <summary>Cancels a batch that has not ended yet; an ended one stays as it is (Google answers both alike).</summary>
    public bool TryCancel(string name)
    {
        if (!_batches.TryGetValue(name, out var batch))
        {
            return false;
        }

        if (!Phase(batch).Ended)
        {
            batch.CancelledAt ??= clock.GetUtcNow();
        }

        return true;
    }

    private BatchOperation Describe(FakeBatch batch)
    {
        var (state, ended) = Phase(batch);
        var succeeded = state == "BATCH_STATE_SUCCEEDED";
        var inlined = succeeded ? new InlinedResponseList(batch.Responses) : null;
        var failed = batch.Responses.Count(r => r.Error is not null);
        var stats = succeeded
            ? new BatchStats(batch.Responses.Count, batch.Responses.Count - failed, failed, 0)
            : new BatchStats(batch.Responses.Count, PendingRequestCount: ended ? 0 : batch.Responses.Count);
        var endTime = ended ? batch.CancelledAt ?? batch.Created + options.Value.BatchPendingTime + options.Value.BatchRunTime : (DateTimeOffset?)null;
        var metadata = new GenerateContentBatch(GenerateContentBatch.MetadataType, batch.Name, $"models/{batch.Model}", batch.DisplayName,
            Output: inlined is null ? null : new GenerateContentBatchOutput(InlinedResponses: inlined), CreateTime: batch.Created, EndTime: endTime, UpdateTime: endTime ?? batch.Created,
            BatchStats: stats, State: state);
        var error = state == "BATCH_STATE_FAILED" ? new ErrorStatus(13, "The batch failed.", Status: null) : null;
        var response = inlined is null ? null : new GenerateContentBatchOutput(GenerateContentBatchOutput.ResponseType, inlined);
        return new BatchOperation(batch.Name, metadata, ended, response, error);
    }

    private (string State, bool Ended) Phase(FakeBatch batch)
    {
        if (batch.CancelledAt is not null)
        {
            return ("BATCH_STATE_CANCELLED", true);
        }

        var age = clock.GetUtcNow() - batch.Created;
        var o = options.Value;
        if (age < o.BatchPendingTime)
        {
            return ("BATCH_STATE_PENDING", false);
        }

        if (age < o.BatchPendingTime + o.BatchRunTime)
        {
            return ("BATCH_STATE_RUNNING", false);
        }

        return batch.End switch
        {
            FakeBatchEnd.Expired => ("BATCH_STATE_EXPIRED", true),
            FakeBatchEnd.Failed => ("BATCH_STATE_FAILED", true),
            _ => ("BATCH_STATE_SUCCEEDED", true),
        };
    }

    private sealed record FakeBatch(
        string Name, string Model, string DisplayName, DateTimeOffset Created, FakeBatchEnd End, IReadOnlyList<InlinedResponse> Responses)
    {
        public DateTimeOffset? CancelledAt { get; set; }
    }
}
