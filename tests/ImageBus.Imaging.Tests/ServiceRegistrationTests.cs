using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Imaging.Tests;

public sealed class ServiceRegistrationTests
{
    private static ServiceProvider BuildProvider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddImageProcessing(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Binds_the_imaging_section_and_registers_one_processor()
    {
        using var provider = BuildProvider(new() { ["Imaging:JpegQuality"] = "42", ["Imaging:ThumbnailSize"] = "64" });

        var options = provider.GetRequiredService<IOptions<ImagingOptions>>().Value;
        Assert.Equal((42, 64), (options.JpegQuality, options.ThumbnailSize));
        Assert.Same(provider.GetRequiredService<IImageProcessor>(), provider.GetRequiredService<IImageProcessor>());
        Assert.IsType<VipsImageProcessor>(provider.GetRequiredService<IImageProcessor>());
    }

    [Theory]
    [InlineData("Imaging:JpegQuality", "0")]
    [InlineData("Imaging:WebpQuality", "101")]
    [InlineData("Imaging:MaxInputPixels", "0")]
    public void Out_of_range_options_fail_start_up_validation(string key, string value)
    {
        using var provider = BuildProvider(new() { [key] = value });

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }
}
