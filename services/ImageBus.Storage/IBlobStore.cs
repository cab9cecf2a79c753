namespace ImageBus.Storage;

/// <summary>Where generated images are kept: the filesystem on one machine, an S3-compatible store
/// when services run on several. Writing the same key again replaces it, so a redelivered message
/// never leaves a second copy.</summary>
public interface IBlobStore
{
    Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken);

    /// <summary>Opens a stored blob, or returns null when there is none under the key.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>A token that changes whenever the blob under the key is written again (a file's length and write time, an
    /// object's ETag), read without the blob's content; null when there is none.</summary>
    Task<string?> VersionOfAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the blob under the key, or every blob under it when the key ends with <c>/</c> (a job's folder);
    /// returns how many were removed (none when there were none).</summary>
    Task<int> DeleteAsync(string keyOrPrefix, CancellationToken cancellationToken);

    /// <summary>Where a person finds the blob: a file path or an object URL.</summary>
    string Describe(string key);
}
