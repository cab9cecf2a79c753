using System.Collections.Concurrent;
using System.Security.Cryptography;
using ImageBus.Gemini.Wire;

namespace ImageBus.FakeGemini;

/// <summary>The fake's Files API, in memory: uploads by Google's resumable protocol (a start call, then chunks at
/// their offsets, the last with <c>finalize</c>), files.get, download (<c>:download?alt=media</c>) and delete. Batches
/// read their input files here and leave their responses files here. Files stay for the fake's lifetime (Google's
/// expire after 48 h).</summary>
internal sealed class FakeFiles(TimeProvider clock)
{
    public const string Prefix = "files/";

    private readonly ConcurrentDictionary<string, FakeFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FakeUpload> _uploads = new(StringComparer.Ordinal);

    /// <summary>Opens an upload session; its id goes into the session's URL.</summary>
    public string StartUpload(string displayName, string mimeType, long? declaredLength)
    {
        var id = NewId();
        _uploads[id] = new FakeUpload(displayName, mimeType, declaredLength);
        return id;
    }

    /// <summary>One chunk of an upload at <paramref name="offset"/>; with <paramref name="finalize"/> the file it
    /// completes. The problem, if any, in Google's words.</summary>
    public (FakeFile? File, string? Problem, bool UnknownUpload) Upload(string uploadId, long offset, byte[] chunk, bool finalize)
    {
        if (!_uploads.TryGetValue(uploadId, out var upload))
        {
            return (null, $"No upload session {uploadId}.", true);
        }

        lock (upload)
        {
            if (offset != upload.Received.Length)
            {
                return (null, $"X-Goog-Upload-Offset {offset} is not the {upload.Received.Length} bytes received so far.", false);
            }

            upload.Received.Write(chunk);
            if (!finalize)
            {
                return (null, null, false);
            }

            if (upload.DeclaredLength is { } declared && declared != upload.Received.Length)
            {
                return (null, $"The upload declared {declared} bytes and sent {upload.Received.Length}.", false);
            }

            _uploads.TryRemove(uploadId, out _);
            return (Add(upload.DisplayName, upload.MimeType, upload.Received.ToArray()), null, false);
        }
    }

    public FakeFile Add(string displayName, string mimeType, byte[] data)
    {
        var file = new FakeFile(Prefix + NewId(), displayName, mimeType, data, clock.GetUtcNow());
        _files[file.Name] = file;
        return file;
    }

    public FakeFile? Find(string name) => _files.GetValueOrDefault(name);

    public bool Delete(string name) => _files.TryRemove(name, out _);

    /// <summary>The file as files.get describes it; <paramref name="baseUrl"/> is the fake's own, for <c>uri</c>.</summary>
    public static GeminiFile Describe(FakeFile file, string version, string baseUrl) =>
        new(file.Name, file.DisplayName, file.MimeType, file.Data.LongLength, file.Created, file.Created, file.Created + TimeSpan.FromHours(48),
            Convert.ToBase64String(SHA256.HashData(file.Data)), $"{baseUrl}/{version}/{file.Name}", "ACTIVE");

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private sealed record FakeUpload(string DisplayName, string MimeType, long? DeclaredLength)
    {
        public MemoryStream Received { get; } = new();
    }
}

internal sealed record FakeFile(string Name, string DisplayName, string MimeType, byte[] Data, DateTimeOffset Created);
