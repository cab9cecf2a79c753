using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using Npgsql;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The transactional outbox with a crash right after a commit (the test-only <c>FaultInjection:CrashAfterCommit</c>
/// hook): the messages of that commit are in PostgreSQL, so another instance's dispatcher sends them and the job completes.</summary>
public sealed class OutboxTests
{
    static readonly Dictionary<string, string> Crash = new() { ["FaultInjection__CrashAfterCommit"] = "true" };

    [Fact]
    public async Task A_job_completes_when_the_gateway_crashes_between_its_commit_and_its_publish()
    {
        await using var cluster = await ImageBusCluster.StartAsync();
        cluster.Service("Gateway").Kill();
        var crashing = cluster.StartService("Gateway", Crash);
        await cluster.WaitForGatewayAsync();
        var request = SampleCases.Small("tenant-gateway-crash", 3);
        request["idempotencyKey"] = "crash-1";
        var client = await cluster.ClientForTenantAsync("tenant-gateway-crash");

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsJsonAsync("/v1/jobs", request));
        Assert.NotEqual(0, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // The client sends its request again with the same key: the job the crashed request made, not a second one.
        cluster.StartService("Gateway");
        await cluster.WaitForGatewayAsync();
        using var repeat = await client.PostAsJsonAsync("/v1/jobs", request);
        var body = await repeat.Content.ReadAsStringAsync();
        Assert.True(repeat.StatusCode == HttpStatusCode.OK, body);
        var jobId = JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetGuid();

        var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));
        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        Assert.Equal(3, status.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal(1L, await CountAsync(cluster, "SELECT count(*) FROM job_requests WHERE tenant_id = 'tenant-gateway-crash'"));
    }

    [Fact]
    public async Task A_job_completes_well_before_its_image_deadline_when_the_orchestrator_crashes_between_its_commit_and_its_sends()
    {
        var imageDeadline = TimeSpan.FromMinutes(3);
        await using var cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string>
        {
            ["Jobs__ImageDeadline"] = imageDeadline.ToString(),
        });
        cluster.Service("Orchestrator").Kill();
        // Right after the commit that turned the job generating, before its GenerateImage commands went out.
        var crashing = cluster.StartService("Orchestrator", new Dictionary<string, string>(Crash)
        {
            ["FaultInjection__CrashAfterCommitOf"] = "JobSlotGranted",
        });
        var started = DateTimeOffset.UtcNow;
        var jobId = await cluster.SubmitAsync(SampleCases.Small("tenant-orchestrator-crash", 3));
        Assert.NotEqual(0, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(JobStatuses.Generating, (await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(5), JobStatuses.Generating))
            .GetProperty("status").GetString());

        cluster.StartService("Orchestrator");
        var status = await cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120));

        Assert.True(status.GetProperty("status").GetString() == JobStatuses.Completed, $"{status}\n{cluster.Diagnostics()}");
        // Each image made by its first dispatch, not sent again by the image deadline.
        Assert.All(status.Images(), i => Assert.Equal(1, i.GetProperty("attempt").GetInt32()));
        Assert.True(DateTimeOffset.UtcNow - started < imageDeadline / 2, $"took {DateTimeOffset.UtcNow - started}");
        // Nothing left behind in the outbox.
        await cluster.WaitUntilAsync("every due outbox row sent",
            async () => await CountAsync(cluster, "SELECT count(*) FROM scheduled_messages WHERE due_at <= now()") == 0, TimeSpan.FromSeconds(30));
    }

    static async Task<long> CountAsync(ImageBusCluster cluster, string sql)
    {
        await using var connection = new NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
