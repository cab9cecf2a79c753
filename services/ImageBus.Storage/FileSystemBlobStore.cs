using System.Globalization;
using Microsoft.Extensions.Options;

namespace ImageBus.Storage;

/// <summary>Blobs as files under <see cref="StorageOptions.Root"/>. A write goes to a temporary file
/// first and is renamed into place, so a reader never sees half an image.</summary>
public sealed class FileSystemBlobStore(IOptions<StorageOptions> options) : IBlobStore
{
    readonly string root = Path.GetFullPath(options.Value.Root);

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllBytesAsync(temporary, content.ToArray(), cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        return Task.FromResult<Stream?>(File.Exists(path) ? File.OpenRead(path) : null);
    }

    public Task<string?> VersionOfAsync(string key, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists
            ? string.Create(CultureInfo.InvariantCulture, $"{file.Length}-{file.LastWriteTimeUtc.Ticks}")
            : null);
    }

    public Task<int> DeleteAsync(string keyOrPrefix, CancellationToken cancellationToken)
    {
        if (!keyOrPrefix.EndsWith('/'))
        {
            var file = PathOf(keyOrPrefix);
            var existed = File.Exists(file);
            File.Delete(file);
            return Task.FromResult(existed ? 1 : 0);
        }

        var directory = PathOf(keyOrPrefix.TrimEnd('/'));
        if (!Directory.Exists(directory))
        {
            return Task.FromResult(0);
        }

        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Count();
        Directory.Delete(directory, recursive: true);
        return Task.FromResult(files);
    }

    public string Describe(string key) => PathOf(key);

    string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key));
        return path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"blob key '{key}' leaves the store", nameof(key));
    }
}
