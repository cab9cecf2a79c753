using ImageBus.Contracts;
using ImageBus.ServiceDefaults.Jobs;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ImageBus.Orchestrator.Jobs;

/// <summary>
/// The life of one job: accepted → generating → completed | partial | failed, or rejected when the
/// case is invalid. Every image result is applied once (a duplicate changes nothing) and every
/// change publishes an event with the job's next sequence number.
/// </summary>
public sealed class JobStateMachine : MassTransitStateMachine<JobState>
{
    public JobStateMachine(IOptions<JobOptions> options, TimeProvider clock)
    {
        var jobs = new JobTransitions(options.Value, clock);

        InstanceState(j => j.CurrentState);

        Event(() => CaseSubmitted, e => e.CorrelateById(m => m.Message.JobId));
        Event(() => ImageGenerated, e =>
        {
            e.CorrelateById(m => m.Message.JobId);
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => ImageFailed, e =>
        {
            e.CorrelateById(m => m.Message.JobId);
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => ImageFaulted, e =>
        {
            e.CorrelateById(m => m.Message.Message.JobId);
            e.OnMissingInstance(m => m.Discard());
        });

        Initially(
            When(CaseSubmitted)
                .Then(context => jobs.Accept(context.Saga, context.Message))
                .IfElse(context => context.Saga.FailureReason is null,
                    accepted => accepted
                        .TransitionTo(Generating)
                        .ThenAsync(jobs.Start),
                    rejected => rejected
                        .TransitionTo(Rejected)
                        .ThenAsync(jobs.Reject)));

        During(Generating,
            When(ImageGenerated)
                .ThenAsync(context => ApplyResult(jobs, context, jobs.RecordSuccess(context.Saga, context.Message))),
            When(ImageFailed)
                .ThenAsync(context => ApplyResult(jobs, context, jobs.RecordFailure(context.Saga, context.Message))),
            When(ImageFaulted)
                .ThenAsync(context => ApplyResult(jobs, context, jobs.RecordFault(context.Saga, context.Message))));

        // A job is created once: a repeated command for a known job changes nothing.
        DuringAny(Ignore(CaseSubmitted));
        During(Completed, Partial, Failed, Rejected,
            Ignore(ImageGenerated),
            Ignore(ImageFailed),
            Ignore(ImageFaulted));
    }

    public State Generating { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Partial { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Rejected { get; private set; } = null!;

    public Event<GenerateCaseImages> CaseSubmitted { get; private set; } = null!;
    public Event<ImageGenerated> ImageGenerated { get; private set; } = null!;
    public Event<ImageGenerationFailed> ImageFailed { get; private set; } = null!;
    public Event<Fault<GenerateImage>> ImageFaulted { get; private set; } = null!;

    /// <summary>Reports an applied image result and ends the job once every image has one.</summary>
    async Task ApplyResult<T>(JobTransitions jobs, BehaviorContext<JobState, T> context, JobImage? image)
        where T : class
    {
        if (image is null)
        {
            return;
        }

        await context.Publish(jobs.Progressed(context.Saga, image));
        if (!context.Saga.AllImagesFinished)
        {
            return;
        }

        var counts = context.Saga.Counts;
        var ending = counts.Completed == counts.Total ? Completed : counts.Completed > 0 ? Partial : Failed;
        await context.TransitionToState(ending);
        var finished = jobs.Finish(context.Saga);
        await context.Publish(finished, finished.GetType());
    }
}
