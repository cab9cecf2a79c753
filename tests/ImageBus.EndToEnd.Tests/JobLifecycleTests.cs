using System.Diagnostics;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The job saga's promises with real failures around it: a killed orchestrator, workers
/// that never answer, a restarted broker, a tenant with more jobs than slots.</summary>
public sealed class JobLifecycleTests(ITestOutputHelper output)
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_job_completes_after_its_orchestrator_is_killed_and_started_again()
    {
        // Killed right after the job turned generating, the orchestrator may not have sent every
        // GenerateImage yet (its outbox is in memory): the per-image deadline sends those again.
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            ["Jobs__ImageDeadline"] = "00:00:15",
        });
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFaultOnAll("[fake:latency=4000]"));
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(30), JobStatuses.Generating);

        cluster.Service("Orchestrator").Kill();
        // Results arrive and wait in the saga's queue while no orchestrator runs.
        await Task.Delay(TimeSpan.FromSeconds(5));
        cluster.StartService("Orchestrator");

        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);
        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        Assert.Equal(14, status.GetProperty("counts").GetProperty("completed").GetInt32());
    }

    [Fact]
    public async Task A_job_whose_workers_never_answer_ends_at_its_deadline()
    {
        await using var cluster = await ImageBusCluster.StartAsync();
        cluster.Service("Worker").Kill();
        var request = SampleCases.Detective(256);
        request["deadlineSeconds"] = 6;

        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
        var observed = DateTimeOffset.UtcNow;

        Assert.Equal(JobStatuses.Failed, status.GetProperty("status").GetString());
        Assert.All(status.Images(), i => Assert.Equal(ImageStatuses.TimedOut, i.GetProperty("status").GetString()));
        var deadline = status.GetProperty("deadlineAt").GetDateTimeOffset();
        var finished = status.GetProperty("finishedAt").GetDateTimeOffset();
        output.WriteLine($"deadline → terminal state: {(finished - deadline).TotalMilliseconds:F0} ms (observed by polling after {(observed - deadline).TotalMilliseconds:F0} ms)");
        Assert.InRange(finished - deadline, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_job_completes_across_a_broker_restart()
    {
        await using var broker = await TestBroker.StartAsync();
        await using var cluster = await ImageBusCluster.StartAsync(broker: broker.Ports);
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFaultOnAll("[fake:latency=3000]"));
        await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(30), JobStatuses.Generating);

        await broker.RestartAsync();

        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
        Assert.Equal(14, status.GetProperty("counts").GetProperty("completed").GetInt32());
    }

    [Fact]
    public async Task A_tenant_never_has_more_jobs_generating_than_its_limit_and_all_complete()
    {
        const int limit = 3;
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            ["Jobs__MaxGeneratingPerTenant"] = limit.ToString(),
        });
        var jobIds = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            jobIds.Add(await cluster.SubmitAsync(SampleCases.Small("busy-tenant", 2).WithFaultOnAll("[fake:latency=400]")));
        }

        var most = 0;
        var stopwatch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        while (stopwatch.Elapsed < JobTimeout)
        {
            await using var query = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE current_state = 'Generating'), count(*) FILTER (WHERE current_state = 'Completed') FROM jobs WHERE tenant_id = 'busy-tenant'",
                connection);
            await using var reader = await query.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (generating, completed) = (reader.GetInt64(0), reader.GetInt64(1));
            most = Math.Max(most, (int)generating);
            if (completed == jobIds.Count)
            {
                break;
            }

            await Task.Delay(25);
        }

        output.WriteLine($"20 jobs with limit {limit}: at most {most} generating at once; all done in {stopwatch.ElapsedMilliseconds} ms");
        Assert.InRange(most, 1, limit);
        foreach (var jobId in jobIds)
        {
            var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(5));
            Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
        }
    }
}
