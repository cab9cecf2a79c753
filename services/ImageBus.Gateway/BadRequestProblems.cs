using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using ImageBus.Jobs;

namespace ImageBus.Gateway;

/// <summary>Requests the endpoints cannot even bind — malformed JSON, a value of the wrong type, a missing required
/// header — answer 400 problem details that name the field (a JSON path such as <c>items[0].name</c>) and the
/// problem, as validation errors do, instead of a bare "Bad Request".</summary>
sealed class BadRequestProblems(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var (field, problem) = badRequest.InnerException is JsonException json
            ? InputText.FromJson(json)
            : new ValidationError("request", badRequest.Message);
        http.Response.StatusCode = badRequest.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [problem] })
            {
                Status = badRequest.StatusCode,
                Title = "The request could not be read",
            },
        });
    }
}

public static class BadRequestProblemsExtensions
{
    /// <summary>Binding failures reach <see cref="BadRequestProblems"/> (minimal APIs only log them otherwise).</summary>
    public static IServiceCollection AddBadRequestProblems(this IServiceCollection services)
    {
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestProblems>();
        return services;
    }
}
