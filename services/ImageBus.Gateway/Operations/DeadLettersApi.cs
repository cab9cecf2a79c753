using ImageBus.Gateway.Auth;
using ImageBus.Operations.DeadLetters;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ImageBus.Gateway.Operations;

public sealed record DeadLetterGroupList(IReadOnlyList<DeadLetterGroup> Groups);

public sealed record DeadLetterPage(IReadOnlyList<DeadLetterItem> Items, string? NextCursor);

public sealed record DeadLetterAudit(IReadOnlyList<DeadLetterAuditEntry> Entries);

public sealed record DeadLettersRetried(int Retried);

public sealed record DeadLettersDeleted(int Deleted);

/// <summary>The dead letters (admin keys only): every message that landed in an <c>_error</c> queue, grouped by problem,
/// retried back to its source queue or deleted, each action recorded with the admin key that took it.</summary>
public static class DeadLettersApi
{
    const int DefaultLimit = 50;
    const int MaxLimit = 200;

    public static RouteGroupBuilder MapDeadLettersApi(this IEndpointRouteBuilder app)
    {
        var deadLetters = app.MapGroup("/v1/admin/dead-letters").WithTags("Operations").RequireAuthorization(GatewayAuthorization.Admin);
        deadLetters.MapGet("/groups", ListGroups).WithName("ListDeadLetterGroups");
        deadLetters.MapGet("/", List).WithName("ListDeadLetters");
        deadLetters.MapGet("/audit", ListAudit).WithName("ListDeadLetterAudit");
        deadLetters.MapGet("/{id:guid}", Get).WithName("GetDeadLetter");
        deadLetters.MapPost("/retry", Retry).WithName("RetryDeadLetters");
        deadLetters.MapPost("/delete", Delete).WithName("DeleteDeadLetters");
        return deadLetters;
    }

    static async Task<Ok<DeadLetterGroupList>> ListGroups(DeadLetterStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new DeadLetterGroupList(await store.ListGroupsAsync(cancellationToken)));

    static async Task<Results<Ok<DeadLetterPage>, ValidationProblem>> List(
        string? groupId, int? limit, string? cursor, DeadLetterStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"must be 1–{MaxLimit}"];
        }

        var after = cursor is null ? null : KeysetCursor.Read(cursor);
        if (cursor is not null && after is null)
        {
            errors["cursor"] = ["is not a cursor this API gave"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The dead-letter list request is not valid.");
        }

        var take = limit ?? DefaultLimit;
        var page = await store.ListAsync(groupId, take + 1, after, cancellationToken);
        var items = page.Take(take).ToList();
        return TypedResults.Ok(new DeadLetterPage(items, page.Count > take ? KeysetCursor.Write(items[^1].CollectedAt, items[^1].Id) : null));
    }

    static async Task<Results<Ok<DeadLetterDetail>, NotFound>> Get(Guid id, DeadLetterStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } found ? TypedResults.Ok(found) : TypedResults.NotFound();

    static async Task<Results<Ok<DeadLetterAudit>, ValidationProblem>> ListAudit(int? limit, DeadLetterStore store, CancellationToken cancellationToken) =>
        limit is < 1 or > MaxLimit
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"must be 1–{MaxLimit}"] }, title: "The audit request is not valid.")
            : TypedResults.Ok(new DeadLetterAudit(await store.ListAuditAsync(limit ?? DefaultLimit, cancellationToken)));

    static async Task<Results<Ok<DeadLettersRetried>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>> Retry(
        DeadLetterSelection? selection, Caller caller, DeadLetterStore store, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(selection, store, cancellationToken) is { } refusal)
        {
            return refusal.Match<Results<Ok<DeadLettersRetried>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>>(
                invalid => invalid, unknown => unknown);
        }

        try
        {
            return TypedResults.Ok(new DeadLettersRetried(await store.RetryAsync(selection!, caller.KeyId, cancellationToken)));
        }
        catch (DeadLetterRetryException stopped)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The broker refused a retried message.",
                detail: stopped.Message, extensions: new Dictionary<string, object?> { ["retried"] = stopped.Retried });
        }
    }

    static async Task<Results<Ok<DeadLettersDeleted>, ValidationProblem, NotFound<ProblemDetails>>> Delete(
        DeadLetterSelection? selection, Caller caller, DeadLetterStore store, CancellationToken cancellationToken)
    {
        if (await RefusalAsync(selection, store, cancellationToken) is { } refusal)
        {
            return refusal.Match<Results<Ok<DeadLettersDeleted>, ValidationProblem, NotFound<ProblemDetails>>>(invalid => invalid, unknown => unknown);
        }

        return TypedResults.Ok(new DeadLettersDeleted(await store.DeleteAsync(selection!, caller.KeyId, cancellationToken)));
    }

    /// <summary>400 listing every problem of the body, or 404 listing the ids that name no dead letter; null when it may go ahead.</summary>
    static async Task<Refusal?> RefusalAsync(DeadLetterSelection? selection, DeadLetterStore store, CancellationToken cancellationToken)
    {
        var problems = selection?.Problems() ?? [("request", "give one of ids, groupId or all")];
        if (problems.Count > 0)
        {
            return new Refusal(TypedResults.ValidationProblem(
                problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => g.Select(p => p.Problem).ToArray()),
                title: "The dead-letter selection is not valid."), null);
        }

        if (selection!.Ids is { } ids && await store.UnknownAsync(ids, cancellationToken) is { Count: > 0 } unknown)
        {
            return new Refusal(null, TypedResults.NotFound(new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Title = "Some ids name no dead letter.",
                Detail = string.Join(", ", unknown),
                Extensions = { ["unknownIds"] = unknown },
            }));
        }

        return null;
    }

    sealed record Refusal(ValidationProblem? Invalid, NotFound<ProblemDetails>? Unknown)
    {
        public T Match<T>(Func<ValidationProblem, T> invalid, Func<NotFound<ProblemDetails>, T> unknown) =>
            Invalid is not null ? invalid(Invalid) : unknown(Unknown!);
    }
}
