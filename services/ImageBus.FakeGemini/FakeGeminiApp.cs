using System.Text.Json.Serialization;
using ImageBus.Gemini.Wire;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ImageBus.FakeGemini;

/// <summary>Builds the fake, so tests can host it in-process (e.g. with <c>--urls=http://127.0.0.1:0</c>).</summary>
public static class FakeGeminiApp
{
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddFakeGemini();
        var app = builder.Build();
        app.UseFakeRequestLog();
        app.MapFakeGemini();
        return app;
    }

    private static IServiceCollection AddFakeGemini(this IServiceCollection services)
    {
        services.AddOptions<FakeGeminiOptions>()
            .BindConfiguration(FakeGeminiOptions.Section)
            .PostConfigure(o =>
            {
                if (o.Models.Count == 0)
                {
                    o.Models.AddRange(FakeGeminiOptions.DefaultModels);
                }

                if (!o.ListOtherModels)
                {
                    o.OtherModels.Clear();
                }
                else if (o.OtherModels.Count == 0)
                {
                    o.OtherModels.AddRange(FakeGeminiOptions.DefaultOtherModels);
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.ConfigureHttpJsonOptions(o =>
        {
            // The wire types' own source-generated contract: camelCase, nulls left out, "@type" as Google spells it.
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GeminiJsonContext.Default);
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FakeGenerateContent>();
        services.AddSingleton<FakeModels>();
        services.AddSingleton<FakeBatches>();
        services.AddSingleton<FakeFiles>();
        services.AddSingleton<FakeRequests>();
        return services;
    }
}
