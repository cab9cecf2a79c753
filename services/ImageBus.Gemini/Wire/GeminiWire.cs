using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageBus.Gemini.Wire;

// Gemini's REST shapes, field for field (camelCase through the serializer options). Shared with the fake.
// byte[] members travel as base64, which is what inlineData.data is.

public sealed record GenerateContentRequest(IReadOnlyList<Content> Contents, GenerationConfig? GenerationConfig = null);

public sealed record Content(IReadOnlyList<Part> Parts, string? Role = null);

/// <summary>One of text or inlineData. <see cref="Thought"/> marks a model's interim drafts, which are not the answer.</summary>
public sealed record Part(string? Text = null, InlineData? InlineData = null, bool? Thought = null);

public sealed record InlineData(string MimeType, byte[] Data);

public sealed record GenerationConfig(IReadOnlyList<string>? ResponseModalities = null, ImageConfig? ImageConfig = null);

public sealed record ImageConfig(string? AspectRatio = null, string? ImageSize = null);

public sealed record GenerateContentResponse(
    IReadOnlyList<Candidate>? Candidates = null,
    PromptFeedback? PromptFeedback = null,
    GeminiUsage? UsageMetadata = null,
    string? ModelVersion = null);

public sealed record Candidate(Content? Content = null, string? FinishReason = null, int? Index = null);

public sealed record PromptFeedback(string? BlockReason = null);

public sealed record ModelList(IReadOnlyList<GeminiModel>? Models = null, string? NextPageToken = null);

/// <summary>Google's error envelope: <c>{"error": {...}}</c>.</summary>
public sealed record ErrorEnvelope(ErrorStatus Error);

public sealed record ErrorStatus(int Code, string? Message, string? Status, IReadOnlyList<ErrorDetail>? Details = null);

/// <summary>One <c>google.rpc</c> detail, flattened: ErrorInfo fills <see cref="Reason"/>, <see cref="Domain"/> and
/// <see cref="Metadata"/>; RetryInfo fills <see cref="RetryDelay"/> (a protobuf duration, <c>"45.837906927s"</c>);
/// QuotaFailure fills <see cref="Violations"/>. Other details (Help, BadRequest…) keep only their type.</summary>
public sealed record ErrorDetail(
    [property: JsonPropertyName("@type")] string Type,
    string? Reason = null,
    string? Domain = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? RetryDelay = null,
    IReadOnlyList<QuotaViolation>? Violations = null)
{
    public const string ErrorInfoType = "type.googleapis.com/google.rpc.ErrorInfo";
    public const string RetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";
    public const string QuotaFailureType = "type.googleapis.com/google.rpc.QuotaFailure";
}

/// <summary>One quota a 429 ran into. <see cref="QuotaId"/> names the quota and its window, e.g.
/// <c>GenerateRequestsPerDayPerProjectPerModel</c>; <see cref="QuotaMetric"/> what it counts. <see cref="QuotaValue"/>
/// is an int64, which protobuf's JSON writes as a string (kept as raw JSON so a number cannot break the parse).</summary>
public sealed record QuotaViolation(
    string? Subject = null,
    string? Description = null,
    string? QuotaMetric = null,
    string? QuotaId = null,
    IReadOnlyDictionary<string, string>? QuotaDimensions = null,
    JsonElement? QuotaValue = null);

// The Batch API (models.batchGenerateContent, batches.get/list/cancel). A batch travels as a long-running operation
// whose metadata is the batch and whose response (once done) its output; int64 counts are JSON strings.

public sealed record BatchGenerateContentRequest(GenerateContentBatch Batch);

/// <summary>A batch as Google describes it; on create only <see cref="DisplayName"/> and <see cref="InputConfig"/> are sent.</summary>
/// <param name="State">Google writes <c>BATCH_STATE_*</c> over REST and <c>JOB_STATE_*</c> in its SDKs; both are read.</param>
public sealed record GenerateContentBatch(
    [property: JsonPropertyName("@type")] string? Type = null,
    string? Name = null,
    string? Model = null,
    string? DisplayName = null,
    BatchInputConfig? InputConfig = null,
    GenerateContentBatchOutput? Output = null,
    DateTimeOffset? CreateTime = null,
    DateTimeOffset? EndTime = null,
    DateTimeOffset? UpdateTime = null,
    BatchStats? BatchStats = null,
    string? State = null)
{
    public const string MetadataType = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch";
}

/// <summary>Inline requests, or the name of an uploaded JSONL file (<c>files/…</c>).</summary>
public sealed record BatchInputConfig(InlinedRequests? Requests = null, string? FileName = null);

public sealed record InlinedRequests(IReadOnlyList<InlinedRequest> Requests);

/// <summary>One request of a batch; <see cref="Metadata"/> comes back with its response (our <c>key</c>).</summary>
public sealed record InlinedRequest(GenerateContentRequest Request, IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record GenerateContentBatchOutput(
    [property: JsonPropertyName("@type")] string? Type = null,
    InlinedResponseList? InlinedResponses = null,
    string? ResponsesFile = null)
{
    public const string ResponseType = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput";
}

public sealed record InlinedResponseList(IReadOnlyList<InlinedResponse>? InlinedResponses = null);

/// <summary>A request's answer or its own failure (a <c>google.rpc.Status</c>: gRPC code, message), with the request's metadata.</summary>
public sealed record InlinedResponse(
    GenerateContentResponse? Response = null,
    ErrorStatus? Error = null,
    IReadOnlyDictionary<string, string>? Metadata = null);

public sealed record BatchStats(
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long? RequestCount = null,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long? SuccessfulRequestCount = null,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long? FailedRequestCount = null,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long? PendingRequestCount = null);

/// <summary>A long-running operation on a batch: <c>name</c> is the batch's (<c>batches/…</c>).</summary>
public sealed record BatchOperation(
    string Name,
    GenerateContentBatch? Metadata = null,
    bool? Done = null,
    GenerateContentBatchOutput? Response = null,
    ErrorStatus? Error = null);

public sealed record BatchOperationList(IReadOnlyList<BatchOperation>? Operations = null, string? NextPageToken = null);

// A batch's requests as a file (Google's batch-mode guide, "Input file", and its "Retrieving results" REST example):
// JSONL, one request a line, uploaded through the Files API; a succeeded batch names its results as another JSONL file
// (response.responsesFile), one line a request, in request order.

/// <summary>One line of a batch's input file.</summary>
public sealed record BatchRequestLine(string Key, GenerateContentRequest Request);

/// <summary>One line of a batch's responses file: the request's key with its response, or its own failure.</summary>
public sealed record BatchResponseLine(string? Key = null, GenerateContentResponse? Response = null, ErrorStatus? Error = null);

/// <summary>A Files API resource (<c>files/…</c>). <see cref="SizeBytes"/> is an int64, a JSON string.</summary>
/// <param name="State">PROCESSING, ACTIVE or FAILED.</param>
public sealed record GeminiFile(
    string? Name = null,
    string? DisplayName = null,
    string? MimeType = null,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)] long? SizeBytes = null,
    DateTimeOffset? CreateTime = null,
    DateTimeOffset? UpdateTime = null,
    DateTimeOffset? ExpirationTime = null,
    string? Sha256Hash = null,
    string? Uri = null,
    string? State = null);

/// <summary>The headers of Google's resumable upload protocol.</summary>
public static class GoogUpload
{
    public const string Protocol = "X-Goog-Upload-Protocol";
    public const string Command = "X-Goog-Upload-Command";
    public const string ContentLength = "X-Goog-Upload-Header-Content-Length";
    public const string ContentType = "X-Goog-Upload-Header-Content-Type";
    public const string Url = "X-Goog-Upload-URL";
    public const string Offset = "X-Goog-Upload-Offset";
    public const string Status = "X-Goog-Upload-Status";
}

/// <summary><c>{"file": {...}}</c>: the metadata a resumable upload starts with, and what its last chunk answers.</summary>
public sealed record GeminiFileEnvelope(GeminiFile File);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GenerateContentRequest))]
[JsonSerializable(typeof(GenerateContentResponse))]
[JsonSerializable(typeof(GeminiModel))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ErrorEnvelope))]
[JsonSerializable(typeof(BatchGenerateContentRequest))]
[JsonSerializable(typeof(BatchOperation))]
[JsonSerializable(typeof(BatchOperationList))]
[JsonSerializable(typeof(BatchRequestLine))]
[JsonSerializable(typeof(BatchResponseLine))]
[JsonSerializable(typeof(GeminiFile))]
[JsonSerializable(typeof(GeminiFileEnvelope))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class GeminiJsonContext : JsonSerializerContext;
