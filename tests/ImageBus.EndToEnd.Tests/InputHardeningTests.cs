using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Bad input through the real gateway and straight onto the bus: refused with every problem named, nothing
/// left in <c>_error</c>, nothing stuck "accepted"; ids that once collided give images of their own.</summary>
public sealed class InputHardeningTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    const string Tenant = "hardening-tenant";
    readonly ImageBusCluster cluster = fixture.Cluster;

    /// <summary>The gateway as this class's tenant, whose key its bodies' <c>tenantId</c> must match.</summary>
    Task<HttpClient> Client() => cluster.ClientForTenantAsync(Tenant);

    static string Item(string itemId, string extra = "") =>
        $$"""{"itemId": "{{itemId}}", "kind": "evidence", "name": "Knife", "description": "A knife"{{extra}}}""";

    static string Case(string items, string extra = "") =>
        $$"""{"tenantId": "{{Tenant}}", "caseId": "case-1", "items": [{{items}}]{{extra}}}""";

    /// <summary>Body, then every field the answer must list (and no other).</summary>
    public static TheoryData<string, string[]> BadBodies => new()
    {
        // Truncated JSON: the reader stops where the text ends.
        { """{"caseId": "c", "items": [{"itemId": "a", "kind": "evid""", ["items[0].kind"] },
        // A wrong type in a nested item.
        { Case(Item("a") + "," + Item("b", ", \"imageSize\": 5")), ["items[1].imageSize"] },
        { Case(Item("a", ", \"name\": {\"text\": \"Knife\"}")), ["items[0].name"] },
        { Case("7"), ["items[0]"] },
        // A number too big for its field.
        { Case(Item("a"), ", \"imageSize\": 99999999999"), ["imageSize"] },
        // NUL escapes, in a top-level field and nested ones.
        { """{"caseId": "c\u0000", "items": [{"itemId": "a\u0000b", "kind": "evidence", "name": "N\u0000", "description": "d"}]}""",
            ["caseId", "items[0].itemId", "items[0].name"] },
        // Ids outside their charsets, a duplicate differing only in case, the id with a slash.
        { Case(string.Join(",", Item("x?y"), Item("x y"), Item("a/b"), Item("Clue"), Item("clue"), Item(new string('i', 65)))),
            ["items[0].itemId", "items[1].itemId", "items[2].itemId", "items[4].itemId", "items[5].itemId"] },
        // Over the limits, all at once: a 10,000-character name cannot carry the prompt past its limit either. (A tenant id
        // outside its charset cannot have a key; on the bus it is refused too, see InputLimitsTests.)
        { "{\"caseId\": \"" + new string('c', 129) + "\", \"idempotencyKey\": \"schlüssel\", \"model\": \""
            + new string('m', 101) + "\", \"items\": [" + Item("a", ", \"name\": \"" + new string('n', 10_000) + "\"") + "]}",
            ["caseId", "idempotencyKey", "items[0].description", "items[0].name", "model"] },
        // A job's own webhook URL is held to the outbound address rules.
        { Case(Item("a"), ", \"webhookUrl\": \"http://169.254.169.254/latest/meta-data\""), ["webhookUrl"] },
        { Case(Item("a"), ", \"webhookUrl\": \"http://10.0.0.1/hook\""), ["webhookUrl"] },
        { Case(Item("a"), ", \"webhookUrl\": \"http://[::1]:8080/hook\""), ["webhookUrl"] },
        { Case(Item("a"), ", \"webhookUrl\": \"http://[64:ff9b::a00:1]/hook\""), ["webhookUrl"] },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_refused_with_every_problem_listed_by_JSON_path(string body, string[] fields)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await (await Client()).PostAsync("/v1/jobs", content);

        await AssertProblemsAsync(response, fields);
    }

    [Fact]
    public async Task A_multipart_job_part_that_cannot_be_read_is_refused_naming_the_path_in_the_job()
    {
        using var form = new MultipartFormDataContent { { new StringContent(Case(Item("a", ", \"aspectRatio\": 1.5"))), "job" } };
        using var response = await (await Client()).PostAsync("/v1/jobs", form);

        var problem = await AssertProblemsAsync(response, ["items[0].aspectRatio"]);
        Assert.Equal("must be a string", problem.GetProperty("errors").GetProperty("items[0].aspectRatio")[0].GetString());
    }

    [Fact]
    public async Task The_webhook_endpoint_API_lists_every_problem_at_once()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/endpoints")
        {
            Content = JsonContent.Create(new { url = "http://10.0.0.1/hook", description = "bad\0description", eventTypes = new[] { "job.exploded" } }),
        };
        using var response = await (await Client()).SendAsync(request);

        await AssertProblemsAsync(response, ["description", "eventTypes", "url"]);
    }

    [Fact]
    public async Task Item_ids_the_old_cleaning_collapsed_give_two_different_stored_images()
    {
        var request = JsonNode.Parse(Case(string.Join(",",
            Item("x.y", ", \"description\": \"A brass key\""), Item("x_y", ", \"description\": \"A silver spoon\""))))!.AsObject();
        request["caseId"] = $"case-{Guid.NewGuid():N}";
        request["imageSize"] = 128;

        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
        var images = new Dictionary<string, string>();
        foreach (var image in status.Images())
        {
            var bytes = await (await Client()).GetByteArrayAsync(image.GetProperty("url").GetString());
            images[image.GetProperty("itemId").GetString()!] = Convert.ToHexString(SHA256.HashData(bytes));
        }

        Assert.Equal(["x.y", "x_y"], images.Keys.Order(StringComparer.Ordinal));
        Assert.NotEqual(images["x.y"], images["x_y"]);
    }

    [Fact]
    public async Task A_plain_JSON_command_published_without_MassTransit_completes()
    {
        var jobId = Guid.NewGuid();
        var body = $$"""
            {"jobId": "{{jobId}}", "tenantId": "{{Tenant}}", "caseId": "plain-json", "imageSize": 128,
             "items": [{"itemId": "ev-1", "kind": "evidence", "name": "Telescope", "description": "A dented brass telescope"},
                       {"itemId": "x-1", "kind": "custom", "name": "Poster", "prompt": "A poster of a lighthouse"}]}
            """;
        await using var bus = await PlainJsonBus.ConnectAsync(cluster);

        await bus.PublishPlainAsync(body);
        // Known to the status API once the saga stored it (no gateway request precedes it).
        await PollAsync(async () =>
        {
            using var response = await (await Client()).GetAsync($"/v1/jobs/{jobId}");
            return response.IsSuccessStatusCode ? response : null;
        });
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(JobStatuses.Completed, status.GetProperty("status").GetString());
        Assert.Equal(2, status.Images().Count(i => i.GetProperty("status").GetString() == ImageStatuses.Completed));
        Assert.Equal(0u, await bus.ErrorCountAsync());
    }

    public static TheoryData<bool> Envelopes => new() { false, true };

    [Theory]
    [MemberData(nameof(Envelopes))]
    public async Task A_command_with_a_wrong_typed_field_is_answered_with_CaseImagesRejected_naming_it_and_nothing_lands_in_error(bool envelope)
    {
        var jobId = Guid.NewGuid();
        var command = $$"""
            {"jobId": "{{jobId}}", "tenantId": "{{Tenant}}", "caseId": "wrong-type",
             "items": [{"itemId": "ev-1", "kind": "evidence", "name": "Telescope", "description": "d"},
                       {"itemId": "ev-2", "kind": "evidence", "name": "Lamp", "description": "d", "aspectRatio": ["16:9"]}]}
            """;
        await using var bus = await PlainJsonBus.ConnectAsync(cluster);
        await bus.WatchRejectionsAsync();

        if (envelope)
        {
            await bus.PublishEnvelopeAsync(command);
        }
        else
        {
            await bus.PublishPlainAsync(command);
        }

        var rejected = await bus.WaitForRejectionAsync(jobId, JobTimeout);
        Assert.Equal([ "items[1].aspectRatio: must be a string" ], rejected.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(("hardening-tenant", "wrong-type"),
            (rejected.GetProperty("tenantId").GetString(), rejected.GetProperty("caseId").GetString()));
        Assert.Equal(0u, await bus.ErrorCountAsync());
    }

    [Fact]
    public async Task An_unreadable_plain_JSON_command_without_a_job_id_faults_with_the_reason_in_its_headers()
    {
        await using var bus = await PlainJsonBus.ConnectAsync(cluster);

        await bus.PublishPlainAsync($$"""{"tenantId": "{{Tenant}}", "caseId": "no-job-id", "items": 5}""");

        var fault = await bus.WaitForErrorAsync(JobTimeout);
        Assert.Contains("Path: $.items", fault, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_case_the_database_refuses_to_store_is_rejected_with_the_reason_not_left_accepted()
    {
        // Stands for any data PostgreSQL refuses (22xxx) that validation let through.
        await using (var connection = new NpgsqlConnection(cluster.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                CREATE OR REPLACE FUNCTION refuse_test_case() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.case_id = 'refused-by-the-database' THEN
                        RAISE EXCEPTION 'this value is refused' USING ERRCODE = '22023';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE OR REPLACE TRIGGER refuse_test_case BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_test_case();
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        var request = JsonNode.Parse(Case(Item("a")))!.AsObject();
        request["caseId"] = "refused-by-the-database";
        await using var bus = await PlainJsonBus.ConnectAsync(cluster);

        var jobId = await cluster.SubmitAsync(request);
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(JobStatuses.Rejected, status.GetProperty("status").GetString());
        Assert.Contains("22023", status.GetProperty("failureReason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0u, await bus.ErrorCountAsync());
    }

    [Fact]
    public async Task The_deliveries_to_a_job_s_own_webhook_url_are_listed_for_its_tenant_only()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var request = JsonNode.Parse(Case(Item("a")))!.AsObject();
        request["caseId"] = $"case-{Guid.NewGuid():N}";
        request["imageSize"] = 128;
        request["webhookUrl"] = receiver.Url;
        request["webhookEvents"] = new JsonArray("job.completed");

        var jobId = await cluster.SubmitAsync(request);
        await cluster.WaitForJobAsync(jobId, JobTimeout);
        await receiver.WaitForAsync(w => w.JobId == jobId && w.Type == "job.completed", JobTimeout);

        var deliveries = await PollAsync(async () =>
        {
            var list = await DeliveriesAsync(jobId, Tenant);
            return list is { Count: 1 } && list[0].GetProperty("status").GetString() == "delivered" ? list : null;
        });
        Assert.Equal(("job.completed", 200), (deliveries[0].GetProperty("eventType").GetString(), deliveries[0].GetProperty("lastStatusCode").GetInt32()));
        // Another tenant's job is not found, as on every job route.
        Assert.Null(await DeliveriesAsync(jobId, "another-tenant"));
    }

    [Fact]
    public async Task A_delivery_the_address_guard_refuses_is_dead_at_once_with_no_retry()
    {
        // Registration refuses such a URL; planted in the table, it stands for an address that changed since (DNS).
        const string tenant = "refusal-tenant";
        var endpointId = Guid.NewGuid();
        await using (var connection = new NpgsqlConnection(cluster.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                INSERT INTO webhook_endpoints (id, tenant_id, url, enabled, created_at, updated_at)
                VALUES (@id, @tenant, 'http://10.0.0.1:9/hook', true, now(), now())
                """, connection);
            command.Parameters.AddWithValue("id", endpointId);
            command.Parameters.AddWithValue("tenant", tenant);
            await command.ExecuteNonQueryAsync();
        }

        var request = JsonNode.Parse(Case(Item("a")))!.AsObject();
        request["tenantId"] = tenant;
        request["caseId"] = $"case-{Guid.NewGuid():N}";
        request["imageSize"] = 128;
        var jobId = await cluster.SubmitAsync(request);
        await cluster.WaitForJobAsync(jobId, JobTimeout);

        // Every event of the job (accepted, started, the image, completed), each refused once and dead, none waiting for a retry.
        var deliveries = await PollAsync(async () =>
        {
            using var response = await (await cluster.ClientForTenantAsync(tenant)).GetAsync($"/v1/webhooks/endpoints/{endpointId}/deliveries");
            var all = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
            return all.Count >= 4 && all.All(d => d.GetProperty("status").GetString() == "dead") ? all : null;
        });
        Assert.All(deliveries, d =>
        {
            Assert.Equal(1, d.GetProperty("attempts").GetInt32());
            Assert.Contains("10.0.0.1", d.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        });
    }

    /// <summary>The job's deliveries as <paramref name="tenant"/>'s key sees them; null when the job is not found.</summary>
    async Task<List<JsonElement>?> DeliveriesAsync(Guid jobId, string tenant)
    {
        using var response = await (await cluster.ClientForTenantAsync(tenant)).GetAsync($"/v1/jobs/{jobId}/webhook-deliveries");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()];
    }

    static async Task<T> PollAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + JobTimeout;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("the condition did not come true in time");
            }

            await Task.Delay(200);
        }
    }

    static async Task<JsonElement> AssertProblemsAsync(HttpResponseMessage response, string[] fields)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        var errors = problem.GetProperty("errors");
        Assert.Equal(fields.Order(StringComparer.Ordinal), errors.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var message in errors.EnumerateObject().SelectMany(p => p.Value.EnumerateArray()).Select(m => m.GetString()!))
        {
            // Said in the caller's terms: no .NET type names, no reader positions, no echoed control characters.
            Assert.DoesNotContain("System.", message, StringComparison.Ordinal);
            Assert.DoesNotContain("LineNumber", message, StringComparison.Ordinal);
            Assert.DoesNotContain(message, c => char.IsControl(c));
        }

        return problem;
    }
}
