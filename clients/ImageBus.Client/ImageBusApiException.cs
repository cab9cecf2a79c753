using System.Net;

namespace ImageBus.Client;

/// <summary>The gateway answered an error: its status and the problem details it sent (RFC 7807; <see cref="Errors"/> lists
/// every invalid field of a 400).</summary>
public sealed class ImageBusApiException(HttpStatusCode status, string? title, string? detail, IReadOnlyDictionary<string, string[]> errors)
    : Exception($"{(int)status} {title}{(detail is null ? "" : $": {detail}")}{(errors.Count == 0 ? "" : $" ({string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))})")}")
{
    public HttpStatusCode Status { get; } = status;
    public string? Title { get; } = title;
    public string? Detail { get; } = detail;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
