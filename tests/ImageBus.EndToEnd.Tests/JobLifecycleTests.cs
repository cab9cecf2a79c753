using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Messaging;
using ImageBus.Testing;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The job saga's promises with real failures around it: a killed orchestrator, workers
/// that never answer, a restarted broker or database, a tenant with more jobs than slots.</summary>
public sealed class JobLifecycleTests(ITestOutputHelper output)
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);
    static readonly TimeSpan DatabaseOutage = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_job_completes_after_its_orchestrator_is_killed_and_started_again()
    {
        // Killed right after the job turned generating: what it had not sent yet is in the outbox table and goes out
        // from another process's dispatcher (OutboxTests covers that kill exactly); the short image deadline stays
        // as a backstop.
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

        Assert.Equal(JobStatuses.Failed, status.GetProperty("status").GetString());
        Assert.All(status.Images(), i => Assert.Equal(ImageStatuses.TimedOut, i.GetProperty("status").GetString()));
        // Ended by its scheduled deadline, not early and not by the overdue-job sweeper's backstop.
        Assert.Equal("the job reached its deadline", status.GetProperty("failureReason").GetString());
        Assert.True(status.GetProperty("finishedAt").GetDateTimeOffset() >= status.GetProperty("deadlineAt").GetDateTimeOffset(), status.ToString());
    }

    [Fact]
    public async Task A_job_completes_across_a_broker_restart()
    {
        await using var broker = await PrivateServers.StartBrokerAsync();
        await using var cluster = await ImageBusCluster.StartAsync(broker: broker.Endpoint);
        // Gemini answers after the broker has gone: the outage meets every image in flight.
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFaultOnAll("[fake:latency=12000]"));
        await WaitUntilTheWorkerTookEveryCommand(cluster);

        await broker.StopAsync();
        await broker.StartAgainAsync();

        await AssertCompletedWithNothingLost(cluster, jobId);
    }

    [Fact]
    public async Task A_job_completes_across_a_database_restart()
    {
        await using var postgres = await PrivateServers.StartPostgresAsync();
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            // No wait for the shared Gemini budget: every call is under way as soon as its command is taken.
            ["Worker__RequestsPerMinute"] = "1000000",
        }, postgresPort: postgres.Endpoint);
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFaultOnAll("[fake:latency=8000]"));
        await WaitUntilTheWorkerTookEveryCommand(cluster);

        // The images are in Gemini's hands and their results reach the saga while the database is down, for as
        // long as a restart or a failover may take: longer than any quick retry.
        await postgres.StopAsync();
        try
        {
            await Task.Delay(DatabaseOutage);
            output.WriteLine($"{cluster.StoredImageCount()} of 14 images stored while the database was down");
        }
        finally
        {
            await postgres.StartAgainAsync();
        }

        await AssertCompletedWithNothingLost(cluster, jobId);
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
        JsonElement? lastInLine = null;
        var stopwatch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        while (stopwatch.Elapsed < JobTimeout)
        {
            await using var query = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE current_state = 'Generating'), count(*) FILTER (WHERE current_state = 'Completed'), "
                + "(SELECT job_id FROM jobs WHERE tenant_id = 'busy-tenant' AND current_state = 'Pending' ORDER BY created_at DESC LIMIT 1) "
                + "FROM jobs WHERE tenant_id = 'busy-tenant'",
                connection);
            await using var reader = await query.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (generating, completed) = (reader.GetInt64(0), reader.GetInt64(1));
            var lastPending = reader.IsDBNull(2) ? (Guid?)null : reader.GetGuid(2);
            most = Math.Max(most, (int)generating);
            if (completed > 0 && lastInLine is null && lastPending is { } pending)
            {
                // Once a job has finished, one still waiting knows its place in the line and when it may start: the last
                // in line as the database saw it, if it is still waiting when the gateway is asked (a loaded machine may look late).
                var status = await cluster.Admin.GetFromJsonAsync<JsonElement>($"/v1/jobs/{pending}");
                lastInLine = status.GetProperty("status").GetString() == JobStatuses.Pending ? status : null;
            }

            if (completed == jobIds.Count)
            {
                break;
            }

            await Task.Delay(25);
        }

        output.WriteLine($"20 jobs with limit {limit}: at most {most} generating at once; all done in {stopwatch.ElapsedMilliseconds} ms");
        Assert.InRange(most, 1, limit);
        var waiting = Assert.NotNull(lastInLine);
        Assert.InRange(waiting.GetProperty("jobsAhead").GetInt32(), 0, jobIds.Count - 1 - limit);
        Assert.True(waiting.GetProperty("estimatedStartAt").GetDateTimeOffset() >= waiting.GetProperty("createdAt").GetDateTimeOffset(), $"{waiting}");
        Assert.Equal(JsonValueKind.Null, waiting.GetProperty("startedAt").ValueKind);
        foreach (var jobId in jobIds)
        {
            var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(5));
            Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
        }
    }

    static Task WaitUntilTheWorkerTookEveryCommand(ImageBusCluster cluster) =>
        cluster.WaitUntilAsync("the worker took all 14 commands",
            async () => await cluster.VirtualHost.UnacknowledgedAsync(QueueNames.GenerateImage) == 14, TimeSpan.FromSeconds(30));

    /// <summary>The job completed with every image, every event it published was recorded by the notifier, and no
    /// message was moved aside as a fault.</summary>
    static async Task AssertCompletedWithNothingLost(ImageBusCluster cluster, Guid jobId)
    {
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);
        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        Assert.Equal(14, status.GetProperty("counts").GetProperty("completed").GetInt32());

        await using var connection = new NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await cluster.WaitUntilAsync("the notifier recorded every event of the job", async () =>
        {
            await using var query = new NpgsqlCommand(
                "SELECT (SELECT count(*) FROM job_events WHERE job_id = $1) = (SELECT sequence FROM jobs WHERE job_id = $1)", connection)
            {
                Parameters = { new NpgsqlParameter { Value = jobId } },
            };
            return (bool)(await query.ExecuteScalarAsync())!;
        }, TimeSpan.FromSeconds(30));
        Assert.Empty(await cluster.VirtualHost.MessagesMovedAsideAsync());
    }
}
