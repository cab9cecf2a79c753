using Microsoft.Extensions.Options;

namespace ImageBus.Imaging.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public void Eight_threads_produce_byte_identical_output()
    {
        const int Threads = 8;
        const int IterationsPerThread = 4;
        var processor = new VipsImageProcessor(Options.Create(new ImagingOptions()));
        var source = TestImages.Noise(ImageFormat.Png, 640, 480);
        var garbage = TestImages.Noise(ImageFormat.Jpeg, 640, 480)[..5000];
        var expected = Renditions(processor, source);

        using var start = new Barrier(Threads);
        var results = new (EncodedImage Jpeg, EncodedImage Webp, EncodedImage Thumbnail)[Threads * IterationsPerThread];
        var failures = new Exception?[Threads];
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (var i = 0; i < IterationsPerThread; i++)
                {
                    // Failing calls interleaved with good ones must not disturb them.
                    Assert.Throws<ImageProcessingException>(() => processor.Render(garbage, 320, 320));
                    results[(t * IterationsPerThread) + i] = Renditions(processor, source);
                }
            }
            catch (Exception ex)
            {
                failures[t] = ex;
            }
        })).ToList();

        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());

        Assert.All(failures, failure => Assert.Null(failure));
        Assert.All(results, result =>
        {
            Assert.Equal(expected.Jpeg.Bytes, result.Jpeg.Bytes);
            Assert.Equal(expected.Webp.Bytes, result.Webp.Bytes);
            Assert.Equal(expected.Thumbnail.Bytes, result.Thumbnail.Bytes);
        });
    }

    static (EncodedImage Jpeg, EncodedImage Webp, EncodedImage Thumbnail) Renditions(VipsImageProcessor processor, byte[] source)
    {
        var jpeg = processor.Render(source, 320, 320);
        return (jpeg, processor.ToWebp(jpeg.Bytes), processor.ToThumbnail(jpeg.Bytes));
    }
}
