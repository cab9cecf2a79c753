using ImageBus.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageBus.Gateway;

/// <summary>Validation errors as a 400 problem details answer: <c>errors</c> keyed by field (a JSON path), every
/// problem of the field listed.</summary>
static class ValidationProblems
{
    public static ValidationProblem From(IEnumerable<ValidationError> errors, string title) =>
        TypedResults.ValidationProblem(errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()), title: title);
}
