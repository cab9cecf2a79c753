namespace ImageBus.Gemini;

/// <summary>A failed Gemini call, classified so callers can decide whether trying again can help.</summary>
public sealed class GeminiException : Exception
{
    public GeminiException(
        string errorCode,
        string message,
        bool isTransient,
        int? httpStatus = null,
        TimeSpan? retryAfter = null,
        int? maxRetries = null,
        Exception? innerException = null,
        string? quotaId = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        IsTransient = isTransient;
        HttpStatus = httpStatus;
        RetryAfter = retryAfter;
        MaxRetries = maxRetries;
        QuotaId = quotaId;
    }

    /// <summary>A stable code from <see cref="GeminiErrorCodes"/>, or Gemini's own block or finish reason.</summary>
    public string ErrorCode { get; }

    /// <summary>True when the same request may succeed later (overload, outage, timeout, network).</summary>
    public bool IsTransient { get; }

    /// <summary>The HTTP status Gemini answered with; null when no answer came.</summary>
    public int? HttpStatus { get; }

    /// <summary>How long Gemini asked us to wait (RetryInfo.retryDelay or Retry-After, the larger).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The quota a 429 ran into, from its QuotaFailure detail (e.g. <c>GenerateRequestsPerMinutePerProjectPerModel</c>).</summary>
    public string? QuotaId { get; }

    /// <summary>Retries this kind of failure deserves whatever the retry policy allows; null = no own limit.</summary>
    public int? MaxRetries { get; }

    /// <summary>Calls made before giving up, as counted by <see cref="GeminiImageGenerator"/>'s retry pipeline (0 when
    /// the request was refused before any call); 1 from the client.</summary>
    public int Calls { get; private init; } = 1;

    /// <summary>Of <see cref="Calls"/>, those Google bills; 1 or 0 from the client (see <see cref="IsBilled"/>).</summary>
    public int BilledCalls { get; private init; }

    /// <summary>Whether Google bills the call that failed: it answered HTTP 200 (a safety block, a finish without an image, a body
    /// we could not read), so the model ran. A timeout, a network failure, a 4xx or 5xx answer is not billed.</summary>
    public bool IsBilled => HttpStatus == 200;

    /// <summary>The same failure as the retry loop reports it: a failure with its own retry budget, once that is
    /// spent, is permanent (a model that keeps answering without an image will not change its mind).</summary>
    internal GeminiException AfterCalls(int calls, int billedCalls) =>
        new(ErrorCode, Message, IsTransient && MaxRetries is null, HttpStatus, RetryAfter, MaxRetries, this, QuotaId)
        {
            Calls = calls,
            BilledCalls = billedCalls,
        };
}

/// <summary>The stable codes <see cref="GeminiException.ErrorCode"/> takes besides Gemini's safety reasons.</summary>
public static class GeminiErrorCodes
{
    public const string ResourceExhausted = "RESOURCE_EXHAUSTED";
    public const string Unavailable = "UNAVAILABLE";
    public const string Internal = "INTERNAL";
    public const string DeadlineExceeded = "DEADLINE_EXCEEDED";
    public const string InvalidArgument = "INVALID_ARGUMENT";
    public const string ApiKeyInvalid = "API_KEY_INVALID";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string PermissionDenied = "PERMISSION_DENIED";
    public const string NotFound = "NOT_FOUND";

    /// <summary>HTTP 429 whose QuotaFailure names a per-day quota: nothing will succeed before Google's daily reset
    /// (midnight Pacific time), so it is permanent and never retried.</summary>
    public const string QuotaExhaustedDaily = "QUOTA_EXHAUSTED_DAILY";

    /// <summary>The request named a model outside <see cref="GeminiOptions.Model"/> and <see cref="GeminiOptions.AllowedModels"/>;
    /// no call was made.</summary>
    public const string ModelNotAllowed = "MODEL_NOT_ALLOWED";

    /// <summary>Our own per-call timeout fired.</summary>
    public const string Timeout = "TIMEOUT";

    /// <summary>No HTTP answer: connection refused or reset, DNS, TLS.</summary>
    public const string Network = "NETWORK";

    /// <summary>HTTP 200 without an image and without a block reason.</summary>
    public const string NoImage = "NO_IMAGE";

    /// <summary>HTTP 200 to a text-output call without text and without a block reason.</summary>
    public const string NoText = "NO_TEXT";

    /// <summary>HTTP 200 whose body is not Gemini's JSON.</summary>
    public const string BadResponse = "BAD_RESPONSE";

    /// <summary>Google's canonical status name for an HTTP status, for error bodies that carry none.</summary>
    public static string FromHttpStatus(int status) => status switch
    {
        400 => InvalidArgument,
        401 => Unauthenticated,
        403 => PermissionDenied,
        404 => NotFound,
        429 => ResourceExhausted,
        500 => Internal,
        503 => Unavailable,
        504 => DeadlineExceeded,
        _ => $"HTTP_{status}",
    };

    // google.rpc.Code ↔ HTTP status, as Google's API design guide pairs them: a batch request's error is a
    // google.rpc.Status, which carries the gRPC code rather than the HTTP status.
    private static readonly (int Http, int Rpc)[] RpcCodes =
        [(400, 3), (401, 16), (403, 7), (404, 5), (409, 10), (429, 8), (499, 1), (500, 13), (501, 12), (503, 14), (504, 4)];

    /// <summary>The gRPC code of an HTTP status (INTERNAL, 13, for one without its own).</summary>
    public static int ToRpcCode(int httpStatus) => RpcCodes.FirstOrDefault(c => c.Http == httpStatus) is { Rpc: > 0 } pair ? pair.Rpc : 13;

    /// <summary>The HTTP status of a gRPC code (500 for one without its own).</summary>
    public static int FromRpcCode(int rpcCode) => RpcCodes.FirstOrDefault(c => c.Rpc == rpcCode) is { Http: > 0 } pair ? pair.Http : 500;

    /// <summary>Statuses worth another try: throttling, server faults, gateways.</summary>
    public static bool IsTransientStatus(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;
}
