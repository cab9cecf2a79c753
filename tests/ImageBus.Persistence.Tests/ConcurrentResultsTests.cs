using System.Diagnostics;
using System.Diagnostics.Metrics;
using ImageBus.Contracts;
using ImageBus.Messaging.Sagas;
using Xunit;
using Xunit.Abstractions;

namespace ImageBus.Persistence.Tests;

/// <summary>The images of one job finish at the same moment: every result must be applied exactly
/// once with no update lost, in both concurrency modes. The figures it prints are the measurement
/// behind the README's choice of pessimistic locking.</summary>
public sealed class ConcurrentResultsTests(ITestOutputHelper output)
{
    const int Images = 50;

    [Fact]
    public async Task With_row_locks_fifty_results_arriving_together_are_all_applied_once()
    {
        var (job, elapsed, metrics) = await CompleteFiftyImagesAtOnce(SagaConcurrency.Pessimistic);

        Assert.Equal("Completed", job.CurrentState);
        Assert.All(job.Images, i => Assert.Equal(ImageStatuses.Completed, i.Status));
        Assert.All(job.Images, i => Assert.Equal($"blobs/{i.ItemId}.jpg", i.Location));
        // accepted + started + one progress event per image + completed: no result applied twice or lost.
        Assert.Equal(Images + 3, job.Sequence);
        Report(SagaConcurrency.Pessimistic, job, elapsed, metrics);
    }

    [Fact]
    public async Task With_optimistic_concurrency_no_update_is_lost_though_results_may_run_out_of_retries()
    {
        var (job, elapsed, metrics) = await CompleteFiftyImagesAtOnce(SagaConcurrency.Optimistic);

        // Every applied result published exactly one progress event; a conflict never overwrote one.
        var applied = job.Images.Count(i => i.Status == ImageStatuses.Completed);
        Assert.Equal(2 + applied + (job.CurrentState == "Completed" ? 1 : 0), job.Sequence);
        Assert.True(metrics.Conflicts > 0, "fifty writers on one row without locks must conflict");
        Report(SagaConcurrency.Optimistic, job, elapsed, metrics);
    }

    static async Task<(ImageBus.Jobs.JobState Job, TimeSpan Elapsed, SagaMetricsRecorder Metrics)> CompleteFiftyImagesAtOnce(
        SagaConcurrency concurrency)
    {
        await using var host = await SagaHost.StartAsync(concurrency);
        var metrics = new SagaMetricsRecorder();
        var jobId = Guid.NewGuid();
        var items = Enumerable.Range(1, Images)
            .Select(i => new CaseImageItem($"img-{i:00}", ImageKinds.Custom, $"Image {i}", Prompt: $"prompt {i}")).ToList();
        await host.Harness.Bus.Publish(new GenerateCaseImages(jobId, "tenant-a", "case-1", items, 256));
        await host.WaitForStateAsync(jobId, "Generating", TimeSpan.FromSeconds(30));
        metrics.Reset();

        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(items.Select(item => host.Harness.Bus.Publish(new ImageGenerated(
            jobId, item.ItemId, 1, $"blobs/{item.ItemId}.jpg", 256, 256, 1000, "fake", DateTimeOffset.UtcNow))));
        var job = await host.WaitUntilSettledAsync(jobId, "Completed", TimeSpan.FromSeconds(90));
        stopwatch.Stop();
        metrics.Dispose();
        return (job, stopwatch.Elapsed, metrics);
    }

    void Report(SagaConcurrency concurrency, ImageBus.Jobs.JobState job, TimeSpan elapsed, SagaMetricsRecorder metrics) =>
        output.WriteLine($"{concurrency}: {job.Images.Count(i => i.Status == ImageStatuses.Completed)} of {Images} results applied, " +
            $"job {job.CurrentState}, in {elapsed.TotalMilliseconds:F0} ms; conflicts retried {metrics.Conflicts}; " +
            $"lock waits {metrics.LockWaits} totalling {metrics.LockWaitMilliseconds:F0} ms (max {metrics.MaxLockWaitMilliseconds:F0} ms)");

    sealed class SagaMetricsRecorder : IDisposable
    {
        readonly MeterListener listener = new();

        public SagaMetricsRecorder()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SagaMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref conflicts, value));
            listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
            {
                lock (listener)
                {
                    LockWaits++;
                    LockWaitMilliseconds += value;
                    MaxLockWaitMilliseconds = Math.Max(MaxLockWaitMilliseconds, value);
                }
            });
            listener.Start();
        }

        long conflicts;
        public long Conflicts => Interlocked.Read(ref conflicts);
        public int LockWaits { get; private set; }
        public double LockWaitMilliseconds { get; private set; }
        public double MaxLockWaitMilliseconds { get; private set; }

        public void Reset()
        {
            lock (listener)
            {
                Interlocked.Exchange(ref conflicts, 0);
                LockWaits = 0;
                LockWaitMilliseconds = 0;
                MaxLockWaitMilliseconds = 0;
            }
        }

        public void Dispose() => listener.Dispose();
    }
}
