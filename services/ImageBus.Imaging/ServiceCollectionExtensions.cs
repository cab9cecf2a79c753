using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.Imaging;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IImageProcessor"/> as a singleton, with <see cref="ImagingOptions"/> bound
    /// from the <c>Imaging</c> section of <paramref name="configuration"/> and validated when the host starts.</summary>
    public static IServiceCollection AddImageProcessing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImagingOptions>()
            .Bind(configuration.GetSection(ImagingOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IImageProcessor, VipsImageProcessor>();
        return services;
    }
}
