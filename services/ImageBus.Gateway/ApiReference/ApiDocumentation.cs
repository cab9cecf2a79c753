using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ImageBus.Gateway.ApiReference;

/// <summary>The gateway describes itself: an OpenAPI document of every route at <see cref="DocumentPath"/> (typed results give
/// the response schemas) and Scalar's API reference at <see cref="ReferencePath"/>, both anonymous. Scalar's script comes
/// from the package itself, and everything the page would fetch elsewhere (fonts, telemetry, its AI agent) is off, so the
/// page works where the gateway has no internet and tells no one who reads it.</summary>
public static class ApiDocumentation
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/openapi/{documentName}.json";
    public const string ReferencePath = "/scalar";
    public const string BearerScheme = "Bearer";

    public static IServiceCollection AddApiReference(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer<BearerSecurity>();
            options.AddOperationTransformer<BearerSecurity>();
        });

    public static IEndpointRouteBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(DocumentPath).AllowAnonymous().ExcludeFromDescription();
        app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("ImageBus API")
                .WithOpenApiRoutePattern(DocumentPath)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .AddPreferredSecuritySchemes(BearerScheme))
            .AllowAnonymous();
        return app;
    }

    /// <summary>Every operation takes <c>Authorization: Bearer &lt;API key&gt;</c> but those that allow anonymous callers
    /// (signed image links, the document itself).</summary>
    sealed class BearerSecurity : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: a tenant's (ibk_{key id}_{secret}, made by POST /v1/admin/tenants/{id}/keys) or an admin key. "
                    + "Image links from status answers carry their own signature instead.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            return Task.CompletedTask;
        }

        public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
            {
                // An empty requirement: a key is optional.
                operation.Security = [new OpenApiSecurityRequirement()];
            }

            return Task.CompletedTask;
        }
    }
}
