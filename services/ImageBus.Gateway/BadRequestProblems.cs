using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;

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
            ? (FieldOf(json.Path), ProblemOf(json))
            : ("request", badRequest.Message);
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

    /// <summary><c>$.items[0].name</c> → <c>items[0].name</c>, as the validators name fields.</summary>
    static string FieldOf(string? path) => path is null or "$" ? "body" : path.TrimStart('$').TrimStart('.');

    /// <summary>The reader's own words without its position bookkeeping and .NET type names.</summary>
    static string ProblemOf(JsonException json)
    {
        var message = json.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        return message.Contains("could not be converted", StringComparison.Ordinal)
            ? "has the wrong type for this field"
            : $"is not valid JSON: {message}";
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
