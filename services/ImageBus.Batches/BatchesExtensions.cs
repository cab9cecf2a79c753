using ImageBus.Persistence;
using ImageBus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageBus.Batches;

public static class BatchesExtensions
{
    /// <summary>The batch tables, their store and <see cref="BatchingOptions"/>: the worker packs and follows batches, the
    /// gateway reports them.</summary>
    public static IServiceCollection AddGeminiBatches(this IServiceCollection services)
    {
        services.AddValidatedOptions<BatchingOptions>(BatchingOptions.Section);
        services.AddOwnedTables(OwnedSchema.Of<GeminiBatchStore>());
        services.TryAddSingleton<GeminiBatchStore>();
        return services;
    }
}
