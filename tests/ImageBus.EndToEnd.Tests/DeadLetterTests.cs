using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Testing;
using RabbitMQ.Client;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>The dead letters through the gateway: a worker that cannot store one image faults its command into
/// <c>generate-image_error</c>, the collector moves it into the table, an operator finds its group with the job and the
/// MassTransit fault headers, fixes the cause and retries the group, and the job completes.</summary>
public sealed class DeadLetterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    const string PoisonedItem = "loc-04";
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_poisoned_image_lands_in_its_group_with_its_job_and_after_the_fix_a_group_retry_completes_the_job()
    {
        // The poisoned item answers late, so that its blob directory is made a file well before the worker stores it.
        var jobId = await cluster.SubmitAsync(SampleCases.Detective(256).WithFault("[fake:latency=2500]", PoisonedItem));
        var poisoned = Path.Combine(cluster.StorageRoot, ImageBusCluster.DefaultTenant, jobId.ToString("N"), PoisonedItem);
        Directory.CreateDirectory(Path.GetDirectoryName(poisoned)!);
        await File.WriteAllTextAsync(poisoned, "not a directory");

        var partial = await cluster.WaitForJobAsync(jobId, Patience);
        Assert.Equal(JobStatuses.Partial, partial.GetProperty("status").GetString());
        var image = partial.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("itemId").GetString() == PoisonedItem);
        Assert.Equal("WORKER_FAULT", image.GetProperty("errorCode").GetString());

        var group = await WaitForGroupAsync(g => g.GetProperty("queues").EnumerateArray().Any(q => q.GetString() == "generate-image_error"));
        var groupId = group.GetProperty("groupId").GetString()!;
        // An IOException: the file system says which (DirectoryNotFoundException where a file stands in the path).
        var exceptionType = group.GetProperty("exceptionType").GetString()!;
        Assert.StartsWith("System.IO.", exceptionType);
        Assert.Equal("urn:message:ImageBus.Contracts:GenerateImage", group.GetProperty("messageType").GetString());
        Assert.Equal(1, group.GetProperty("count").GetInt32());

        var listed = await GetJsonAsync($"/v1/admin/dead-letters?groupId={groupId}");
        var item = Assert.Single(listed.GetProperty("items").EnumerateArray());
        Assert.Equal(jobId, item.GetProperty("jobId").GetGuid());
        Assert.Equal(ImageBusCluster.DefaultTenant, item.GetProperty("tenantId").GetString());
        Assert.Equal(("generate-image_error", "generate-image", "failed"),
            (item.GetProperty("errorQueue").GetString(), item.GetProperty("sourceQueue").GetString(), item.GetProperty("status").GetString()));
        Assert.Contains("GenerateImageConsumer", item.GetProperty("consumerType").GetString());
        Assert.False(string.IsNullOrWhiteSpace(item.GetProperty("stackTrace").GetString()));

        var detail = await GetJsonAsync($"/v1/admin/dead-letters/{item.GetProperty("id").GetGuid()}");
        var headers = detail.GetProperty("headers");
        Assert.Equal(exceptionType, headers.GetProperty("MT-Fault-ExceptionType").GetString());
        Assert.True(headers.TryGetProperty("MT-Fault-Message", out _) && headers.TryGetProperty("MT-Fault-Timestamp", out _),
            headers.ToString());
        Assert.Equal(headers.TryGetProperty("MT-Fault-RetryCount", out var retries) ? int.Parse(retries.ToString()) : 0,
            item.GetProperty("retryCount").GetInt32());
        Assert.Contains(PoisonedItem, detail.GetProperty("body").GetString());
        await cluster.WaitUntilAsync("generate-image_error is empty", async () => await ErrorQueueMessagesAsync("generate-image_error") == 0, Patience);

        File.Delete(poisoned);
        using var retry = await cluster.Admin.PostAsJsonAsync("/v1/admin/dead-letters/retry", new { groupId });
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("retried").GetInt32());

        var completed = await cluster.WaitForJobAsync(jobId, Patience, JobStatuses.Completed);
        Assert.Equal(14, completed.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal(14, completed.GetProperty("billing").GetProperty("deliveredImages").GetInt32());
        var audit = (await GetJsonAsync("/v1/admin/dead-letters/audit")).GetProperty("entries").EnumerateArray()
            .First(e => e.GetProperty("selector").GetString() == $"group:{groupId}");
        Assert.Equal(("retry", 1), (audit.GetProperty("action").GetString(), audit.GetProperty("count").GetInt32()));
        Assert.StartsWith("admin-", audit.GetProperty("actor").GetString());
        Assert.DoesNotContain((await GetJsonAsync("/v1/admin/dead-letters/groups")).GetProperty("groups").EnumerateArray(),
            g => g.GetProperty("groupId").GetString() == groupId);

        // Nothing lost, nothing twice: the one faulted command is one row (now retried), and nothing is left in the queue.
        var rows = (await GetJsonAsync("/v1/admin/dead-letters?limit=200")).GetProperty("items").EnumerateArray()
            .Where(i => i.TryGetProperty("jobId", out var job) && job.ValueKind == JsonValueKind.String && job.GetGuid() == jobId).ToList();
        Assert.Equal("retried", Assert.Single(rows).GetProperty("status").GetString());
        Assert.Equal(0u, await ErrorQueueMessagesAsync("generate-image_error"));
    }

    [Fact]
    public async Task A_dead_letter_read_twice_is_one_row_and_a_delete_removes_it_from_its_group_with_an_audit_entry()
    {
        var queue = $"ops-delete-{Guid.NewGuid():N}_error";
        var messageId = Guid.NewGuid();
        var properties = new BasicProperties
        {
            MessageId = messageId.ToString(), ContentType = "application/vnd.masstransit+json", Persistent = true,
            Headers = new Dictionary<string, object?>
            {
                ["MT-Fault-ExceptionType"] = "System.InvalidOperationException",
                ["MT-Fault-Message"] = $"Item 'x-{Guid.NewGuid():N}' failed 3 times",
                ["MT-Fault-Timestamp"] = "2026-12-01T10:00:00Z",
                ["MT-Fault-RetryCount"] = 3,
            },
        };
        var body = Encoding.UTF8.GetBytes($$$"""{"messageId":"{{{messageId}}}","messageType":["urn:message:Ops.Tests:Deleted"],"message":{"jobId":"{{{Guid.Empty}}}"}}""");
        await PublishToQueueAsync(queue, properties, body, copies: 2);

        var group = await WaitForGroupAsync(g => g.GetProperty("queues").EnumerateArray().Any(q => q.GetString() == queue));
        Assert.Equal("Item '…' failed {n} times", group.GetProperty("message").GetString());
        var groupId = group.GetProperty("groupId").GetString()!;
        await cluster.WaitUntilAsync($"{queue} is empty", async () => await ErrorQueueMessagesAsync(queue) == 0, Patience);
        var item = Assert.Single((await GetJsonAsync($"/v1/admin/dead-letters?groupId={groupId}")).GetProperty("items").EnumerateArray());
        Assert.Equal(messageId, item.GetProperty("messageId").GetGuid());

        using var delete = await cluster.Admin.PostAsJsonAsync("/v1/admin/dead-letters/delete", new { ids = new[] { item.GetProperty("id").GetGuid() } });
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(1, (await delete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deleted").GetInt32());
        Assert.Equal("deleted", (await GetJsonAsync($"/v1/admin/dead-letters/{item.GetProperty("id").GetGuid()}")).GetProperty("status").GetString());
        Assert.DoesNotContain((await GetJsonAsync("/v1/admin/dead-letters/groups")).GetProperty("groups").EnumerateArray(),
            g => g.GetProperty("groupId").GetString() == groupId);
        var audit = (await GetJsonAsync("/v1/admin/dead-letters/audit?limit=10")).GetProperty("entries").EnumerateArray().First();
        Assert.Equal(("delete", "ids", 1), (audit.GetProperty("action").GetString(), audit.GetProperty("selector").GetString(), audit.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task Bad_selections_answer_400_listing_every_problem_and_unknown_ids_404_naming_them()
    {
        foreach (var (body, fields) in new (string Body, string[] Fields)[]
        {
            ("{}", ["request"]),
            ("""{"ids":[],"groupId":"../x","all":false}""", ["all", "groupId", "ids", "request"]),
            ("""{"all":true,"groupId":"abc"}""", ["request"]),
        })
        {
            foreach (var action in new[] { "retry", "delete" })
            {
                using var response = await cluster.Admin.PostAsync($"/v1/admin/dead-letters/{action}", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
                Assert.Equal(fields, errors.EnumerateObject().Select(e => e.Name).Order());
            }
        }

        using (var garbled = await cluster.Admin.PostAsync("/v1/admin/dead-letters/retry", new StringContent("""{"all":"yes"}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, garbled.StatusCode);
        }

        var unknown = Guid.NewGuid();
        using var notFound = await cluster.Admin.PostAsJsonAsync("/v1/admin/dead-letters/retry", new { ids = new[] { unknown } });
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(unknown, (await notFound.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("unknownIds")[0].GetGuid());
        using var badCursor = await cluster.Admin.GetAsync("/v1/admin/dead-letters?cursor=nope&limit=0");
        Assert.Equal(["cursor", "limit"], (await badCursor.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
        using var tenant = await cluster.Gateway.GetAsync("/v1/admin/dead-letters/groups");
        Assert.Equal(HttpStatusCode.Forbidden, tenant.StatusCode);
    }

    async Task<JsonElement> WaitForGroupAsync(Func<JsonElement, bool> match)
    {
        JsonElement found = default;
        await cluster.WaitUntilAsync("the dead letter's group is listed", async () =>
        {
            var groups = (await GetJsonAsync("/v1/admin/dead-letters/groups")).GetProperty("groups").EnumerateArray().Where(match).ToList();
            found = groups.FirstOrDefault();
            return groups.Count > 0;
        }, Patience);
        return found;
    }

    async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await cluster.Admin.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Ready and unacknowledged messages of the queue, by AMQP (the management API's counts lag).</summary>
    async Task<uint> ErrorQueueMessagesAsync(string queue)
    {
        await using var connection = await Factory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var declared = await channel.QueueDeclarePassiveAsync(queue);
        return declared.MessageCount;
    }

    async Task PublishToQueueAsync(string queue, BasicProperties properties, byte[] body, int copies)
    {
        await using var connection = await Factory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        for (var copy = 0; copy < copies; copy++)
        {
            await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
        }
    }

    ConnectionFactory Factory() => new() { HostName = "127.0.0.1", Port = TestServers.AmqpPort, VirtualHost = cluster.VirtualHost.Name };
}
