using MassTransit;
using Polly;
using Polly.Retry;

namespace ImageBus.Worker.Generation;

/// <summary>Publishes what a worker made (a result, a step's analysis), retrying the publish alone while the bus reconnects
/// (a broker node lost after Gemini answered). Failing the consume instead would have the endpoint's retry call Gemini
/// again — a second bill — and give up the attempt's claim to a waiting copy that would call it too.</summary>
public sealed class ResultPublisher
{
    readonly ResiliencePipeline pipeline;

    public ResultPublisher(TimeProvider clock, ILogger<ResultPublisher> logger)
    {
        pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                // A reconnect to another node takes seconds; past half a minute the endpoint's own retry and the claim's lease take over.
                MaxRetryAttempts = 30,
                Delay = TimeSpan.FromSeconds(1),
                BackoffType = DelayBackoffType.Constant,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(exception => exception is not OperationCanceledException),
                OnRetry = retry =>
                {
                    logger.LogWarning(retry.Outcome.Exception, "Publishing a result failed (try {Attempt}); publishing it again in {Delay}",
                        retry.AttemptNumber + 1, retry.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Publishes through <paramref name="context"/> (its headers and correlation) until it went, or
    /// <paramref name="cancellationToken"/> (not the consume context's: see <see cref="GenerationLifetime"/>) gives up.</summary>
    public Task PublishAsync<T>(ConsumeContext context, T message, CancellationToken cancellationToken)
        where T : class =>
        pipeline.ExecuteAsync(async ct => await context.Publish(message, ct), cancellationToken).AsTask();
}
