using ImageBus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ImageBus.Storage;

public static class StorageExtensions
{
    /// <summary>Registers <see cref="IBlobStore"/> as <c>Storage:Kind</c> says: the filesystem (default) or S3.</summary>
    public static IServiceCollection AddBlobStore(this IServiceCollection services)
    {
        services.AddValidatedOptions<StorageOptions>(StorageOptions.Section);
        services.AddSingleton<IBlobStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>();
            return options.Value.Kind == BlobStoreKind.S3 ? new S3BlobStore(options) : new FileSystemBlobStore(options);
        });
        return services;
    }
}
