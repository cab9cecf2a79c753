using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using ImageBus.Gemini.Wire;
using Microsoft.Extensions.Options;

namespace ImageBus.FakeGemini;

/// <summary>The fake's Batch API, in memory: a batch is pending for <see cref="FakeGeminiOptions.BatchPendingTime"/>,
/// running for <see cref="FakeGeminiOptions.BatchRunTime"/>, then succeeded with one inlined response per request
/// (each answered as generateContent would answer it, so a request's <c>[fake:error=…]</c> marker fails that request
/// alone), or expired/failed as <see cref="FakeGeminiOptions.BatchesExpire"/> or a <c>[fake:batch=…]</c> marker says.
/// A batch whose requests came in a file answers in a file too: once succeeded its output names a JSONL responses file
/// in <see cref="FakeFiles"/>, a <c>{"key", "response"}</c> or <c>{"key", "error"}</c> line a request, in request order.
/// As at Google, creating is not idempotent: the same request twice makes two batches.</summary>
internal sealed class FakeBatches(FakeGenerateContent generate, FakeFiles files, IOptions<FakeGeminiOptions> options, TimeProvider clock)
{
    public const string BatchGenerateContent = "batchGenerateContent";

    private readonly ConcurrentDictionary<string, FakeBatch> _batches = new(StringComparer.Ordinal);

    /// <summary>Every batch, oldest first.</summary>
    public IReadOnlyList<BatchOperation> All => [.. _batches.Values.OrderBy(b => b.Created).ThenBy(b => b.Name, StringComparer.Ordinal).Select(Describe)];

    /// <param name="requests">Inline, or read from the input file (each with its line's key as metadata).</param>
    /// <param name="fromFile">Whether the requests came in a file, so the responses go in one.</param>
    public async Task<BatchOperation> CreateAsync(string model, GenerateContentBatch batch, IReadOnlyList<InlinedRequest> requests, bool fromFile)
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
            $"batches/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))}", model, batch.DisplayName ?? "", clock.GetUtcNow(), end, responses, fromFile);
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
        var output = !succeeded ? null
            : batch.FromFile ? new GenerateContentBatchOutput(ResponsesFile: ResponsesFile(batch))
            : new GenerateContentBatchOutput(InlinedResponses: new InlinedResponseList(batch.Responses));
        var failed = batch.Responses.Count(r => r.Error is not null);
        var stats = succeeded
            ? new BatchStats(batch.Responses.Count, batch.Responses.Count - failed, failed, 0)
            : new BatchStats(batch.Responses.Count, PendingRequestCount: ended ? 0 : batch.Responses.Count);
        var endTime = ended ? batch.CancelledAt ?? batch.Created + options.Value.BatchPendingTime + options.Value.BatchRunTime : (DateTimeOffset?)null;
        var metadata = new GenerateContentBatch(GenerateContentBatch.MetadataType, batch.Name, $"models/{batch.Model}", batch.DisplayName,
            Output: output, CreateTime: batch.Created, EndTime: endTime, UpdateTime: endTime ?? batch.Created,
            BatchStats: stats, State: state);
        var error = state == "BATCH_STATE_FAILED" ? new ErrorStatus(13, "The batch failed.", Status: null) : null;
        var response = output is null ? null : output with { Type = GenerateContentBatchOutput.ResponseType };
        return new BatchOperation(batch.Name, metadata, ended, response, error);
    }

    /// <summary>The batch's responses file, written the first time the succeeded batch is described.</summary>
    private string ResponsesFile(FakeBatch batch)
    {
        lock (batch)
        {
            if (batch.ResponsesFile is null)
            {
                using var jsonl = new MemoryStream();
                foreach (var r in batch.Responses)
                {
                    JsonSerializer.Serialize(jsonl, new BatchResponseLine(r.Metadata?.GetValueOrDefault("key"), r.Response, r.Error),
                        GeminiJsonContext.Default.BatchResponseLine);
                    jsonl.WriteByte((byte)'\n');
                }

                batch.ResponsesFile = files.Add($"{batch.Name} responses", "application/jsonl", jsonl.ToArray()).Name;
            }

            return batch.ResponsesFile;
        }
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
        string Name, string Model, string DisplayName, DateTimeOffset Created, FakeBatchEnd End, IReadOnlyList<InlinedResponse> Responses, bool FromFile)
    {
        public DateTimeOffset? CancelledAt { get; set; }

        public string? ResponsesFile { get; set; }
    }
}
