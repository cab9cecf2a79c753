using ImageBus.ServiceDefaults.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ImageBus.ServiceDefaults.Storage;

public static class StorageExtensions
{
    public static IServiceCollection AddBlobStore(this IServiceCollection services)
    {
        services.AddValidatedOptions<StorageOptions>(StorageOptions.Section);
        services.AddSingleton<IBlobStore, FileSystemBlobStore>();
        return services;
    }
}
