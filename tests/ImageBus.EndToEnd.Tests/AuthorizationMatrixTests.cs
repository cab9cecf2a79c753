using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Contracts;
using ImageBus.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Every route of the gateway's route table × every kind of caller → the status its rule expects, on the real
/// services. The routes come from the gateway's own <see cref="EndpointDataSource"/> (built in-process, not started); the
/// requests go to the cluster's gateway process. A route without a rule fails the test.</summary>
public sealed class AuthorizationMatrixTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    readonly ImageBusCluster cluster = fixture.Cluster;

    /// <summary>What each caller is answered: no key, a revoked key of the owner, another tenant's key, the owner's key,
    /// an admin key. The caller runs against a resource of the owner (tenant A).</summary>
    sealed record Expect(int NoKey, int Revoked, int OtherTenant, int Owner, int Admin);

    sealed record Rule(string Route, Func<World, Task<HttpRequestMessage>> Request, Expect Expect);

    static readonly Expect Tenant404 = new(401, 401, 404, 200, 403);
    static readonly Expect Read404 = new(401, 401, 404, 200, 200);
    static readonly Expect AdminOnly = new(401, 401, 403, 403, 200);
    static readonly Expect Anyone = new(200, 200, 200, 200, 200);

    static readonly Rule[] Rules =
    [
        new("/health/live", _ => Get("/health/live"), Anyone),
        new("/health/ready", _ => Get("/health/ready"), Anyone),
        // Prometheus scrapes carry no key; the figures name routes, never tenants or jobs.
        new("/metrics", _ => Get("/metrics"), Anyone),
        // The body names tenant A: the other tenant is refused (403), not given a job of its own.
        new("SubmitJob", w => Send(HttpMethod.Post, "/v1/jobs", w.SmallCase()), new(401, 401, 403, 202, 403)),
        new("SubmitJobWithUploads", w => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new MultipartFormDataContent { { new StringContent(w.SmallCase().ToJsonString()), "job" } },
        }), new(401, 401, 403, 202, 403)),
        new("GetJob", w => Get($"/v1/jobs/{w.PartialJob}"), Read404),
        // Every key lists what it may see (a tenant its own jobs, an admin any); none lists another tenant's.
        new("ListJobs", _ => Get("/v1/jobs"), new(401, 401, 200, 200, 200)),
        new("GetJobImage", w => Get($"/v1/jobs/{w.PartialJob}/images/ok"), Read404),
        new("GetJobArchive", w => Get($"/v1/jobs/{w.PartialJob}/archive.zip"), Read404),
        new("StreamJobEvents", w => Get($"/v1/jobs/{w.PartialJob}/events"), Read404),
        new("RetryJob", w => Send(HttpMethod.Post, $"/v1/jobs/{w.PartialJob}/retry"), Tenant404 with { Owner = 202 }),
        new("CancelJob", w => Send(HttpMethod.Post, $"/v1/jobs/{w.GeneratingJob}/cancel"), Tenant404 with { Owner = 202 }),
        // Routes on the caller's own collection: another tenant acts on its own, never on A's.
        new("CreateWebhookEndpoint", _ => Send(HttpMethod.Post, "/v1/webhooks/endpoints", new { url = "http://127.0.0.1:9/hook" }),
            new(401, 401, 201, 201, 403)),
        new("ListWebhookEndpoints", _ => Get("/v1/webhooks/endpoints"), new(401, 401, 200, 200, 403)),
        new("RotateJobWebhookSecret", _ => Send(HttpMethod.Post, "/v1/webhooks/job-secret"), new(401, 401, 200, 200, 403)),
        new("GetWebhookEndpoint", w => Get($"/v1/webhooks/endpoints/{w.Endpoint}"), Tenant404),
        new("UpdateWebhookEndpoint", w => Send(HttpMethod.Patch, $"/v1/webhooks/endpoints/{w.Endpoint}", new { description = "matrix" }),
            Tenant404),
        // A fresh endpoint each time: the owner's call deletes it.
        new("DeleteWebhookEndpoint", async w => new HttpRequestMessage(HttpMethod.Delete, $"/v1/webhooks/endpoints/{await w.NewEndpointAsync()}"),
            Tenant404 with { Owner = 204 }),
        new("RotateWebhookSecret", w => Send(HttpMethod.Post, $"/v1/webhooks/endpoints/{w.Endpoint}/rotate-secret"), Tenant404),
        new("ListWebhookDeliveries", w => Get($"/v1/webhooks/endpoints/{w.Endpoint}/deliveries"), Tenant404),
        new("RecoverWebhookDeliveries", w => Send(HttpMethod.Post, $"/v1/webhooks/endpoints/{w.Endpoint}/recover?since=2020-01-01T00:00:00Z"),
            Tenant404),
        new("ListJobWebhookDeliveries", w => Get($"/v1/jobs/{w.PartialJob}/webhook-deliveries"), Tenant404),
        new("RedeliverWebhook", w => Send(HttpMethod.Post, $"/v1/webhooks/deliveries/{w.Delivery}/redeliver"), Tenant404 with { Owner = 202 }),
        // Any valid key learns what it is (the dashboard asks); no key or a revoked one learns nothing.
        new("GetCaller", _ => Get("/v1/me"), new(401, 401, 200, 200, 200)),
        new("CreateTenant", _ => Send(HttpMethod.Post, "/v1/admin/tenants", new { tenantId = $"matrix-{Guid.NewGuid():N}" }),
            AdminOnly with { Admin = 201 }),
        new("ListTenants", _ => Get("/v1/admin/tenants"), AdminOnly),
        new("GetTenant", w => Get($"/v1/admin/tenants/{w.Owner}"), AdminOnly),
        new("DeleteTenant", async w => new HttpRequestMessage(HttpMethod.Delete, $"/v1/admin/tenants/{await w.NewTenantAsync()}"),
            AdminOnly with { Admin = 204 }),
        new("CreateApiKey", w => Send(HttpMethod.Post, $"/v1/admin/tenants/{w.Owner}/keys", new { name = "matrix" }), AdminOnly with { Admin = 201 }),
        new("ListApiKeys", w => Get($"/v1/admin/tenants/{w.Owner}/keys"), AdminOnly),
        new("RunRetention", _ => Send(HttpMethod.Post, "/v1/admin/retention/run", new { dryRun = true }), AdminOnly),
        // The API's description and reference page: for anyone, key or not.
        new("/openapi/{documentName}.json", _ => Get("/openapi/v1.json"), Anyone),
        new("/scalar/{documentName?}", _ => Get("/scalar"), Anyone),
        new("/scalar/scalar.js", _ => Get("/scalar/scalar.js"), Anyone),
        new("/scalar/scalar.aspnetcore.js", _ => Get("/scalar/scalar.aspnetcore.js"), Anyone),
        new("/scalar/favicon.svg", _ => Get("/scalar/favicon.svg"), Anyone),
        new("RevokeApiKey", async w => new HttpRequestMessage(HttpMethod.Delete, $"/v1/admin/keys/{(await w.Cluster.CreateKeyAsync(w.Owner)).KeyId}"),
            AdminOnly with { Admin = 204 }),
        new("ListDeadLetterGroups", _ => Get("/v1/admin/dead-letters/groups"), AdminOnly),
        new("ListDeadLetters", _ => Get("/v1/admin/dead-letters"), AdminOnly),
        new("GetDeadLetter", _ => Get($"/v1/admin/dead-letters/{Guid.NewGuid()}"), AdminOnly with { Admin = 404 }),
        new("ListDeadLetterAudit", _ => Get("/v1/admin/dead-letters/audit"), AdminOnly),
        // A group with no messages: the admin's call is answered (0 retried or deleted) and touches nothing.
        new("RetryDeadLetters", _ => Send(HttpMethod.Post, "/v1/admin/dead-letters/retry", new { groupId = "0000000000000000" }), AdminOnly),
        new("DeleteDeadLetters", _ => Send(HttpMethod.Post, "/v1/admin/dead-letters/delete", new { groupId = "0000000000000000" }), AdminOnly),
        new("GetSystemHealth", _ => Get("/v1/admin/system-health"), AdminOnly),
    ];

    [Fact]
    public async Task Every_route_answers_each_kind_of_caller_as_its_rule_says()
    {
        var routes = GatewayRoutes();
        var rules = Rules.ToDictionary(r => r.Route);
        Assert.True(routes.All(rules.ContainsKey), $"routes without a rule: {string.Join(", ", routes.Where(r => !rules.ContainsKey(r)))}");
        Assert.True(rules.Keys.All(routes.Contains), $"rules for no route: {string.Join(", ", rules.Keys.Where(r => !routes.Contains(r)))}");

        var world = await World.CreateAsync(cluster);
        // The owner last: its calls may change the resource (retry, cancel), which the others must meet untouched.
        (string Name, HttpClient Client, Func<Expect, int> Expected)[] callers =
        [
            ("no key", world.NoKey, e => e.NoKey), ("revoked key", world.RevokedKey, e => e.Revoked),
            ("other tenant", world.OtherTenant, e => e.OtherTenant), ("admin", cluster.Admin, e => e.Admin),
            ("owner", world.OwnerClient, e => e.Owner),
        ];
        var mismatches = new List<string>();
        foreach (var rule in Rules)
        {
            foreach (var (name, client, expected) in callers)
            {
                using var request = await rule.Request(world);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                if ((int)response.StatusCode != expected(rule.Expect))
                {
                    mismatches.Add($"{rule.Route} as {name}: {(int)response.StatusCode}, expected {expected(rule.Expect)}");
                }
                else if (response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.SingleOrDefault()?.Scheme != "Bearer")
                {
                    mismatches.Add($"{rule.Route} as {name}: 401 without WWW-Authenticate: Bearer");
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    /// <summary>The gateway's routes by endpoint name (the path where a route has none), from its own route table.</summary>
    static HashSet<string> GatewayRoutes() =>
        GatewayRouteTable.Endpoints().Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? e.RoutePattern.RawText!)
            .ToHashSet();

    static Task<HttpRequestMessage> Get(string path) => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, path));

    static Task<HttpRequestMessage> Send(HttpMethod method, string path, object? body = null) =>
        Task.FromResult(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) });

    /// <summary>Tenant A (the owner) with a partial job, a job still generating, a webhook endpoint and a delivery;
    /// tenant B; a revoked key of A.</summary>
    sealed class World
    {
        public required ImageBusCluster Cluster { get; init; }
        public required string Owner { get; init; }
        public required HttpClient OwnerClient { get; init; }
        public required HttpClient OtherTenant { get; init; }
        public required HttpClient RevokedKey { get; init; }
        public required HttpClient NoKey { get; init; }
        public Guid PartialJob { get; private set; }
        public Guid GeneratingJob { get; private set; }
        public Guid Endpoint { get; private set; }
        public Guid Delivery { get; private set; }

        public static async Task<World> CreateAsync(ImageBusCluster cluster)
        {
            var owner = $"owner-{Guid.NewGuid():N}";
            var revoked = await cluster.CreateKeyAsync(owner);
            (await cluster.Admin.DeleteAsync($"/v1/admin/keys/{revoked.KeyId}")).EnsureSuccessStatusCode();
            var world = new World
            {
                Cluster = cluster, Owner = owner, OwnerClient = await cluster.ClientForTenantAsync(owner),
                OtherTenant = await cluster.ClientForTenantAsync($"other-{Guid.NewGuid():N}"), RevokedKey = cluster.ClientWithKey(revoked.Key),
                NoKey = cluster.Anonymous(),
            };
            world.Endpoint = await world.NewEndpointAsync();
            var partial = world.SmallCase();
            partial["items"]!.AsArray().Add(new JsonObject
            {
                ["itemId"] = "bad", ["kind"] = "evidence", ["name"] = "Bad", ["description"] = "refused [fake:error=400]",
            });
            world.PartialJob = await cluster.SubmitAsync(partial);
            var generating = world.SmallCase();
            generating["items"]![0]!["description"] = "slow [fake:latency=120000]";
            world.GeneratingJob = await cluster.SubmitAsync(generating);
            await cluster.WaitForJobAsync(world.PartialJob, TimeSpan.FromSeconds(90), JobStatuses.Partial);
            await cluster.WaitForJobAsync(world.GeneratingJob, TimeSpan.FromSeconds(60), JobStatuses.Generating);
            await cluster.WaitUntilAsync("a delivery of the owner's endpoint exists", async () =>
            {
                var deliveries = await world.OwnerClient.GetFromJsonAsync<JsonElement>($"/v1/webhooks/endpoints/{world.Endpoint}/deliveries");
                world.Delivery = deliveries.EnumerateArray().Select(d => d.GetProperty("id").GetGuid()).FirstOrDefault();
                return world.Delivery != Guid.Empty;
            }, TimeSpan.FromSeconds(60));
            return world;
        }

        public JsonObject SmallCase()
        {
            var request = SampleCases.Small(Owner, 1);
            request["items"]![0]!["itemId"] = "ok";
            return request;
        }

        public async Task<Guid> NewEndpointAsync()
        {
            using var response = await OwnerClient.PostAsJsonAsync("/v1/webhooks/endpoints", new { url = "http://127.0.0.1:9/hook" });
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("endpoint").GetProperty("id").GetGuid();
        }

        public async Task<string> NewTenantAsync()
        {
            var tenant = $"doomed-{Guid.NewGuid():N}";
            (await Cluster.Admin.PostAsJsonAsync("/v1/admin/tenants", new { tenantId = tenant })).EnsureSuccessStatusCode();
            return tenant;
        }
    }
}
