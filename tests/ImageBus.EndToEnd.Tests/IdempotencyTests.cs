using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Npgsql;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>A running ImageBus whose gateway keeps idempotency keys for a short while, so expiry can be seen.</summary>
public sealed class ShortIdempotencyClusterFixture : IAsyncLifetime
{
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(20);

    ImageBusCluster? cluster;

    public ImageBusCluster Cluster => cluster ?? throw new InvalidOperationException("the cluster has not started");

    public async Task InitializeAsync() =>
        cluster = await ImageBusCluster.StartAsync(new Dictionary<string, string> { ["Jobs__IdempotencyKeyRetention"] = Retention.ToString() });

    public async Task DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}

/// <summary>Idempotency keys through the real gateway: stored per tenant with the request's hash, random job ids.</summary>
public sealed class IdempotencyTests(ShortIdempotencyClusterFixture fixture) : IClassFixture<ShortIdempotencyClusterFixture>
{
    ImageBusCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task The_same_key_and_body_after_the_job_moved_on_answers_that_job_with_its_current_status()
    {
        var request = Keyed(SampleCases.Small("tenant-idem", 1));
        var (firstStatus, first) = await PostAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, firstStatus);
        var jobId = first.GetProperty("jobId").GetGuid();
        await Cluster.WaitForJobAsync(jobId, TimeSpan.FromSeconds(120), JobStatuses.Completed);

        // The same request with its fields in another order and other spacing is the same request.
        var reordered = new JsonObject(request.AsEnumerable().Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var (status, body) = await PostAsync(reordered);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(jobId, body.GetProperty("jobId").GetGuid());
        Assert.Equal(JobStatuses.Completed, body.GetProperty("status").GetString());
        Assert.Equal(1L, await JobRequestsWithKeyAsync(request));
    }

    public static TheoryData<string> Changes => ["caseId", "description", "imageSize", "deadlineSeconds", "extra item", "webhookUrl"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task The_same_key_with_another_body_is_refused_naming_the_first_job(string change)
    {
        var request = Keyed(SampleCases.Small("tenant-idem", 1));
        var (_, first) = await PostAsync(request);
        var jobId = first.GetProperty("jobId").GetGuid();
        var other = (JsonObject)request.DeepClone();
        var item = other["items"]![0]!.AsObject();
        switch (change)
        {
            case "caseId": other["caseId"] = "another-case"; break;
            case "description": item["description"] = "another object"; break;
            case "imageSize": other["imageSize"] = 256; break;
            case "deadlineSeconds": other["deadlineSeconds"] = 300; break;
            case "extra item": other["items"]!.AsArray().Add(new JsonObject { ["itemId"] = "item-2", ["kind"] = "evidence", ["name"] = "Two", ["description"] = "x" }); break;
            case "webhookUrl": other["webhookUrl"] = "http://127.0.0.1:9/hook"; break;
        }

        var (status, body) = await PostAsync(other);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("was used for another request", body.GetProperty("detail").GetString());
        Assert.Contains(jobId.ToString(), body.GetProperty("detail").GetString());
        Assert.Equal(jobId, body.GetProperty("jobId").GetGuid());
        Assert.Equal(1L, await JobRequestsWithKeyAsync(request));
    }

    [Fact]
    public async Task Concurrent_identical_submissions_with_one_key_make_one_job()
    {
        var request = Keyed(SampleCases.Small("tenant-idem", 2));

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostAsync(request)));

        Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted);
        Assert.All(answers, a => Assert.Contains(a.Status, new[] { HttpStatusCode.Accepted, HttpStatusCode.OK }));
        Assert.Single(answers.Select(a => a.Body.GetProperty("jobId").GetGuid()).Distinct());
        Assert.Equal(1L, await JobRequestsWithKeyAsync(request));
        var status = await Cluster.WaitForJobAsync(answers[0].Body.GetProperty("jobId").GetGuid(), TimeSpan.FromSeconds(120));
        Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_key_is_free_for_a_new_job_once_it_expired()
    {
        var request = Keyed(SampleCases.Small("tenant-idem", 1));
        var (_, first) = await PostAsync(request);
        var other = (JsonObject)request.DeepClone();
        other["caseId"] = "the-next-case";
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(other)).Status);

        var deadline = DateTimeOffset.UtcNow + ShortIdempotencyClusterFixture.Retention + TimeSpan.FromSeconds(60);
        (HttpStatusCode Status, JsonElement Body) answer;
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            answer = await PostAsync(other);
        }
        while (answer.Status == HttpStatusCode.Conflict && DateTimeOffset.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Accepted, answer.Status);
        Assert.NotEqual(first.GetProperty("jobId").GetGuid(), answer.Body.GetProperty("jobId").GetGuid());
        Assert.Equal(2L, await JobRequestsWithKeyAsync(request));
    }

    [Fact]
    public async Task The_same_key_with_other_uploaded_bytes_is_another_request()
    {
        var request = Keyed(SampleCases.Small("tenant-idem", 1));
        var item = request["items"]![0]!.AsObject();
        item["kind"] = "custom";
        item["prompt"] = "Restore this photo";
        item["sourceImageUpload"] = "photo";
        var (same, other) = (SourceImageAndModelTests.Png(8, 8), SourceImageAndModelTests.Png(8, 9));

        var first = await PostFormAsync(request, same);
        var repeat = await PostFormAsync(request, same);
        var changed = await PostFormAsync(request, other);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.Conflict), (first.Status, repeat.Status, changed.Status));
        Assert.Equal(first.Body.GetProperty("jobId").GetGuid(), repeat.Body.GetProperty("jobId").GetGuid());
        Assert.Equal(1L, await JobRequestsWithKeyAsync(request));
    }

    async Task<(HttpStatusCode Status, JsonElement Body)> PostFormAsync(JsonObject request, byte[] photo)
    {
        using var form = SourceImageAndModelTests.Multipart(request, jobAsFile: false, ("photo", photo));
        using var response = await (await Cluster.ClientForTenantAsync((string)request["tenantId"]!)).PostAsync("/v1/jobs", form);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    static JsonObject Keyed(JsonObject request)
    {
        request["idempotencyKey"] = $"key-{Guid.NewGuid():N}";
        return request;
    }

    async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(JsonObject request)
    {
        using var response = await (await Cluster.ClientForTenantAsync((string)request["tenantId"]!)).PostAsJsonAsync("/v1/jobs", request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    async Task<long> JobRequestsWithKeyAsync(JsonObject request)
    {
        await using var connection = new NpgsqlConnection(Cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM job_requests WHERE tenant_id = @tenant AND idempotency_key = @key", connection);
        command.Parameters.AddWithValue("tenant", (string)request["tenantId"]!);
        command.Parameters.AddWithValue("key", (string)request["idempotencyKey"]!);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
