using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ImageBus.Gemini;

/// <summary>A JSONL body written straight into the request stream, one value a line, with its length known up front
/// (the resumable upload declares it before the bytes go), so the file never exists as a whole in memory.</summary>
internal sealed class JsonLinesContent<T> : HttpContent
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly IReadOnlyList<T> _lines;
    private readonly JsonTypeInfo<T> _type;

    public JsonLinesContent(IReadOnlyList<T> lines, JsonTypeInfo<T> type)
    {
        _lines = lines;
        _type = type;
        using var counter = new ByteCounter();
        foreach (var line in lines)
        {
            JsonSerializer.Serialize(counter, line, type);
            counter.Write(NewLine);
        }

        Length = counter.Length;
        Headers.ContentType = new MediaTypeHeaderValue(JsonLines.MediaType);
    }

    /// <summary>The body's size in bytes.</summary>
    public long Length { get; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var line in _lines)
        {
            await JsonSerializer.SerializeAsync(stream, line, _type, cancellationToken);
            await stream.WriteAsync(NewLine, cancellationToken);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = Length;
        return true;
    }
}

internal static class JsonLines
{
    public const string MediaType = "application/jsonl";

    /// <summary>How many bytes <paramref name="value"/> serializes to, without keeping them.</summary>
    public static long Length<T>(T value, JsonTypeInfo<T> type)
    {
        using var counter = new ByteCounter();
        JsonSerializer.Serialize(counter, value, type);
        return counter.Length;
    }
}

/// <summary>A write-only stream that keeps only the count of what was written to it.</summary>
internal sealed class ByteCounter : Stream
{
    private long _length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => _length += count;

    public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
