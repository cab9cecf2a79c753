namespace ImageBus.Imaging;

/// <summary>The input formats ImageBus accepts (and the formats it can encode).</summary>
public enum ImageFormat
{
    Png,
    Jpeg,
    Webp,
}

/// <summary>What an input's signature and header say, read without decoding its pixels.</summary>
public sealed record ImageInfo(ImageFormat Format, int Width, int Height)
{
    /// <summary>The media type of <see cref="Format"/>, e.g. <c>image/png</c>.</summary>
    public string ContentType => Format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        _ => "image/webp",
    };
}

/// <summary>One encoded output, ready to store or serve.</summary>
public sealed record EncodedImage(byte[] Bytes, int Width, int Height, string ContentType);
