using ImageBus.Api;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageBus.Gateway.Operations;

/// <summary><c>POST /v1/admin/retention/run</c>: one <see cref="RetentionSweeper"/> pass now, under the same lock as the scheduled
/// ones (409 while another instance sweeps), counted by the same metric.</summary>
public static class RetentionApi
{
    public static RouteHandlerBuilder MapRetentionApi(this RouteGroupBuilder admin) =>
        admin.MapPost("/retention/run", Run).WithName("RunRetention");

    static async Task<Results<Ok<RetentionRunResponse>, Conflict<ProblemDetails>>> Run(
        RunRetentionRequest? request, RetentionSweeper sweeper, CancellationToken cancellationToken)
    {
        var pass = await sweeper.RunAsync(request?.DryRun ?? true, cancellationToken);
        return pass.Ran
            ? TypedResults.Ok(new RetentionRunResponse(
                pass.DryRun, pass.Cutoff, pass.Jobs, pass.Events, pass.Deliveries, pass.DryRun ? null : pass.Blobs))
            : TypedResults.Conflict(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Retention is running elsewhere.",
                Detail = "Another gateway instance holds the retention lock and is sweeping now; try again when it is done.",
            });
    }
}
