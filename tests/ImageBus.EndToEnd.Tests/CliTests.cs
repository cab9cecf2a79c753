using System.Diagnostics;
using ImageBus.Contracts;
using ImageBus.Testing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The command line (<c>./imagebus jobs</c> runs clients/ImageBus.Cli's build) against the running gateway.</summary>
public sealed class CliTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task Jobs_lists_the_jobs_newest_first_filtered_by_case_and_status()
    {
        var tenant = $"cli-{Guid.NewGuid():N}"[..20];
        // One after the other: a job's place in the list is when the orchestrator took it on, which two submissions a
        // moment apart may reach in either order.
        var first = await cluster.SubmitAsync(SampleCases.Small(tenant, 1));
        await cluster.WaitForJobAsync(first, TimeSpan.FromSeconds(90), JobStatuses.Completed);
        var second = await cluster.SubmitAsync(SampleCases.Small(tenant, 2));
        var done = await cluster.WaitForJobAsync(second, TimeSpan.FromSeconds(90), JobStatuses.Completed);

        var (code, output, errors) = await RunAsync(cluster.AdminKey, "jobs", "--tenant", tenant);
        Assert.True(code == 0, errors);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal([second, first], rows.Select(r => Guid.Parse(r[..36])));
        Assert.Contains("completed", rows[0]);
        Assert.Contains("2/2", rows[0]);

        var caseId = done.GetProperty("caseId").GetString()!;
        (_, output, _) = await RunAsync(cluster.AdminKey, "jobs", "--case", caseId, "--status", "completed", "--limit", "5");
        Assert.Equal([second], output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => Guid.Parse(r[..36])));

        (code, _, errors) = await RunAsync(cluster.AdminKey, "jobs", "--status", "done");
        Assert.Equal(1, code);
        Assert.Contains("status", errors);
    }

    [Fact]
    public async Task Health_errors_and_retry_errors_read_the_running_gateway()
    {
        var job = await cluster.SubmitAsync(SampleCases.Small($"cli-{Guid.NewGuid():N}"[..20], 1));
        await cluster.WaitForJobAsync(job, TimeSpan.FromSeconds(90), JobStatuses.Completed);

        var (code, output, errors) = await RunAsync(cluster.AdminKey, "health");
        Assert.True(code == 0, errors);
        Assert.Contains("stuck jobs: 0", output);
        Assert.Contains("generate-image", output);
        Assert.Matches(@"jobs by state: .*completed \d+", output);

        (code, output, errors) = await RunAsync(cluster.AdminKey, "errors");
        Assert.True(code == 0, errors);
        Assert.Contains("no dead letters", output);

        (code, output, errors) = await RunAsync(cluster.AdminKey, "retry-errors", "--all");
        Assert.True(code == 0, errors);
        Assert.Contains("0 messages sent back", output);

        // A tenant's key is refused the operations routes, in one line.
        (code, _, errors) = await RunAsync((await cluster.CreateKeyAsync($"cli-{Guid.NewGuid():N}"[..20])).Key, "health");
        Assert.NotEqual(0, code);
        Assert.Contains("403", errors);
    }

    async Task<(int Code, string Output, string Errors)> RunAsync(string key, params string[] args)
    {
        var cli = Path.Combine(RepositoryRoot.Path, "clients", "ImageBus.Cli", "bin", "Release", "net10.0", "imagebus-cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["IMAGEBUS_GATEWAY_URL"] = cluster.GatewayUrl;
        start.Environment["IMAGEBUS_API_KEY"] = key;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }
}
