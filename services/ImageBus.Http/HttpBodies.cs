namespace ImageBus.Http;

/// <summary>Reads response bodies from servers we do not control without letting them decide how much we hold.</summary>
public static class HttpBodies
{
    /// <summary>The first <paramref name="maxBytes"/> bytes of the body at most (the rest is left unread).</summary>
    public static async Task<byte[]> ReadPrefixAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var (bytes, _) = await ReadAsync(content, maxBytes, cancellationToken);
        return bytes;
    }

    /// <summary>The whole body, or null when it is longer than <paramref name="maxBytes"/> (declared or as it
    /// arrives: the declared length may be absent or wrong).</summary>
    public static async Task<byte[]?> ReadAtMostAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return null;
        }

        var (bytes, complete) = await ReadAsync(content, maxBytes, cancellationToken);
        return complete ? bytes : null;
    }

    /// <summary>Up to <paramref name="maxBytes"/> bytes, and whether the body ended within them.</summary>
    static async Task<(byte[] Bytes, bool Complete)> ReadAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        await using var body = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[Math.Min(81_920, maxBytes + 1)];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            var room = maxBytes - (int)buffer.Length;
            if (read > room)
            {
                buffer.Write(chunk, 0, room);
                return (buffer.ToArray(), false);
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), true);
    }
}
