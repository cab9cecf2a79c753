using Microsoft.Extensions.Options;

namespace ImageBus.Worker.Generation;

/// <summary>When the images a worker is making are given up: <see cref="WorkerOptions.ShutdownGrace"/> after the host
/// begins to stop, as MassTransit cancels their consume contexts then — but not when a consume context is cancelled because
/// its channel went (a broker node lost, a connection reset). Then the image goes on: its result is published once the bus
/// has reconnected, and the copy RabbitMQ handed to another consumer finds the attempt answered (<see cref="ImageAttemptClaims"/>)
/// instead of calling Gemini again.</summary>
public sealed class GenerationLifetime : IDisposable
{
    readonly CancellationTokenSource afterGrace;
    readonly CancellationTokenRegistration stopping;

    public GenerationLifetime(IHostApplicationLifetime lifetime, IOptions<WorkerOptions> options, TimeProvider clock)
    {
        afterGrace = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        var grace = options.Value.ShutdownGrace;
        stopping = lifetime.ApplicationStopping.Register(() => afterGrace.CancelAfter(grace));
    }

    /// <summary>Cancelled <see cref="WorkerOptions.ShutdownGrace"/> after the host began to stop.</summary>
    public CancellationToken Token => afterGrace.Token;

    public void Dispose()
    {
        stopping.Dispose();
        afterGrace.Dispose();
    }
}
