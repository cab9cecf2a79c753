using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Contracts;
using ImageBus.Tenants;
using ImageBus.Testing;
using Npgsql;
using Xunit;

namespace ImageBus.EndToEnd.Tests;

/// <summary>Tenants, keys and signed image links on the whole cluster: the tenant comes from the key, other tenants' things
/// are not found, links work without a key for their own image only and until they expire.</summary>
public sealed class TenantAccessTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(90);
    readonly ImageBusCluster cluster = fixture.Cluster;

    [Fact]
    public async Task A_body_tenant_other_than_the_key_s_is_forbidden_and_a_missing_one_is_the_key_s()
    {
        var (a, b) = (NewTenant("a"), NewTenant("b"));
        var bClient = await cluster.ClientForTenantAsync(b);

        using var forbidden = await bClient.PostAsJsonAsync("/v1/jobs", SampleCases.Small(a, 1));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);

        var request = SampleCases.Small(b, 1);
        request.Remove("tenantId");
        using var accepted = await bClient.PostAsJsonAsync("/v1/jobs", request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var jobId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid();
        Assert.Equal(b, (await cluster.WaitForJobAsync(jobId, JobTimeout)).GetProperty("tenantId").GetString());
    }

    [Fact]
    public async Task Another_tenant_s_job_is_not_found_on_every_job_route()
    {
        var owner = NewTenant("owner");
        var jobId = await cluster.SubmitAsync(SampleCases.Small(owner, 1));
        await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Completed);
        var stranger = await cluster.ClientForTenantAsync(NewTenant("stranger"));

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, $"/v1/jobs/{jobId}"), (HttpMethod.Get, $"/v1/jobs/{jobId}/images/item-1"),
            (HttpMethod.Get, $"/v1/jobs/{jobId}/events"), (HttpMethod.Post, $"/v1/jobs/{jobId}/retry"),
            (HttpMethod.Post, $"/v1/jobs/{jobId}/cancel"),
        })
        {
            using var response = await stranger.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode}");
        }

        using var own = await (await cluster.ClientForTenantAsync(owner)).GetAsync($"/v1/jobs/{jobId}/images/item-1");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_signed_image_link_works_without_a_key_for_its_own_image_until_it_expires()
    {
        var tenant = NewTenant("links");
        var first = await CompletedImageUrlsAsync(tenant);
        var second = await CompletedImageUrlsAsync(tenant);
        using var anonymous = cluster.Anonymous();

        // Valid: no key needed.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(first.Url)).StatusCode);
        // The plain path takes a key of the owner.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(first.Path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (await cluster.ClientForTenantAsync(tenant)).GetAsync(first.Path)).StatusCode);

        // Tampered: one character of the signature changed.
        var signature = first.Url[(first.Url.IndexOf("signature=", StringComparison.Ordinal) + 10)..];
        var tampered = first.Url[..^signature.Length] + (signature[0] == 'A' ? 'B' : 'A') + signature[1..];
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(tampered)).StatusCode);
        // Another job's signature on this job's path.
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(first.Path + second.Url[second.Url.IndexOf('?')..])).StatusCode);
        // A later expiry than the one signed.
        var stretched = first.Url.Replace("expires=", "expires=9", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(stretched)).StatusCode);

        // Expired: signed with the cluster's own key, a minute in the past.
        var expired = new ImageUrls(await SigningKeyAsync(), DateTimeOffset.UtcNow.AddMinutes(-1)).For(first.JobId, "item-1");
        Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync(expired)).StatusCode);
        // The same key and a future expiry: the test's signer is the gateway's, so the refusal above was the expiry.
        var fresh = new ImageUrls(await SigningKeyAsync(), DateTimeOffset.UtcNow.AddMinutes(5)).For(first.JobId, "item-1");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(fresh)).StatusCode);
    }

    [Fact]
    public async Task A_tenant_cannot_obtain_events_signed_with_another_tenant_s_secret()
    {
        var (a, b) = (NewTenant("victim"), NewTenant("attacker"));
        var aClient = await cluster.ClientForTenantAsync(a);
        var bClient = await cluster.ClientForTenantAsync(b);
        await using var aReceiver = await WebhookReceiver.StartAsync();
        await using var bReceiver = await WebhookReceiver.StartAsync();
        var aJobSecret = (await (await aClient.PostAsync("/v1/webhooks/job-secret", null)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("secret").GetString()!;
        using var created = await aClient.PostAsJsonAsync("/v1/webhooks/endpoints", new { url = aReceiver.Url, eventTypes = new[] { "job.completed" } });
        var endpointId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("endpoint").GetProperty("id").GetGuid();
        var aJob = await cluster.SubmitAsync(SampleCases.Small(a, 1));
        await aReceiver.WaitForAsync(w => w.JobId == aJob && w.Type == "job.completed", JobTimeout);
        var aDeliveries = await aClient.GetFromJsonAsync<JsonElement>($"/v1/webhooks/endpoints/{endpointId}/deliveries");
        var aDelivery = aDeliveries.EnumerateArray().First().GetProperty("id").GetGuid();

        // B cannot have a job of A's sent (signed with A's job secret) to its own receiver.
        var asA = SampleCases.Small(a, 1);
        asA["webhookUrl"] = bReceiver.Url;
        using (var refused = await bClient.PostAsJsonAsync("/v1/jobs", asA))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Nor read, re-point, rotate, list or redeliver A's endpoints and deliveries.
        var endpoints = await bClient.GetFromJsonAsync<JsonElement>("/v1/webhooks/endpoints");
        Assert.DoesNotContain(endpoints.EnumerateArray(), e => e.GetProperty("id").GetGuid() == endpointId);
        foreach (var request in new[]
        {
            new HttpRequestMessage(HttpMethod.Get, $"/v1/webhooks/endpoints/{endpointId}"),
            new HttpRequestMessage(HttpMethod.Patch, $"/v1/webhooks/endpoints/{endpointId}") { Content = JsonContent.Create(new { url = bReceiver.Url }) },
            new HttpRequestMessage(HttpMethod.Post, $"/v1/webhooks/endpoints/{endpointId}/rotate-secret"),
            new HttpRequestMessage(HttpMethod.Get, $"/v1/webhooks/endpoints/{endpointId}/deliveries"),
            new HttpRequestMessage(HttpMethod.Post, $"/v1/webhooks/deliveries/{aDelivery}/redeliver"),
            new HttpRequestMessage(HttpMethod.Delete, $"/v1/webhooks/endpoints/{endpointId}"),
        })
        {
            using var response = await bClient.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{request.Method} {request.RequestUri}: {(int)response.StatusCode}");
        }

        // B's own job with its own webhookUrl is signed with B's job secret, which is not A's.
        var bJobSecret = (await (await bClient.PostAsync("/v1/webhooks/job-secret", null)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("secret").GetString()!;
        Assert.NotEqual(aJobSecret, bJobSecret);
        var own = SampleCases.Small(b, 1);
        own["webhookUrl"] = bReceiver.Url;
        var bJob = await cluster.SubmitAsync(own);
        var captured = await bReceiver.WaitForAsync(w => w.JobId == bJob && w.Type == "job.completed", JobTimeout);
        Assert.True(StandardWebhookVerifier.Verify(bJobSecret, captured));
        Assert.False(StandardWebhookVerifier.Verify(aJobSecret, captured));
        Assert.DoesNotContain(bReceiver.Received, w => w.JobId == aJob);
    }

    [Fact]
    public async Task Keys_are_shown_once_listed_without_the_key_revocable_and_die_with_their_tenant()
    {
        using (var invalid = await cluster.Admin.PostAsJsonAsync("/v1/admin/tenants", new { tenantId = "Bad Id!", name = new string('n', 300) }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var errors = (await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.Equal(["name", "tenantId"], errors.EnumerateObject().Select(p => p.Name).Order());
        }

        var tenant = NewTenant("keys");
        var (keyId, key) = await cluster.CreateKeyAsync(tenant);
        var (otherKeyId, otherKey) = await cluster.CreateKeyAsync(tenant);
        Assert.StartsWith($"{ApiKeys.Prefix}{keyId}_", key, StringComparison.Ordinal);
        using var client = cluster.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/webhooks/endpoints")).StatusCode);

        var listed = await cluster.Admin.GetStringAsync($"/v1/admin/tenants/{tenant}/keys");
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        var keys = JsonDocument.Parse(listed).RootElement.EnumerateArray().ToDictionary(k => k.GetProperty("keyId").GetString()!);
        Assert.Equal(new[] { keyId, otherKeyId }.Order(StringComparer.Ordinal), keys.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.String, keys[keyId].GetProperty("lastUsedAt").ValueKind);
        await using (var db = NpgsqlDataSource.Create(cluster.Database.ConnectionString))
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM api_keys WHERE key_hash = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = ApiKeys.Hash(key) });
            Assert.Equal(1L, await command.ExecuteScalarAsync());
        }

        Assert.Equal(HttpStatusCode.NoContent, (await cluster.Admin.DeleteAsync($"/v1/admin/keys/{keyId}")).StatusCode);
        using var revoked = await client.GetAsync("/v1/webhooks/endpoints");
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Equal("Bearer", Assert.Single(revoked.Headers.WwwAuthenticate).Scheme);
        using var garbled = cluster.ClientWithKey(key[..^2]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbled.GetAsync("/v1/webhooks/endpoints")).StatusCode);

        using var other = cluster.ClientWithKey(otherKey);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/v1/webhooks/endpoints")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await cluster.Admin.DeleteAsync($"/v1/admin/tenants/{tenant}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/v1/webhooks/endpoints")).StatusCode);
        using var again = await cluster.Admin.PostAsJsonAsync("/v1/admin/tenants", new { tenantId = tenant });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    static string NewTenant(string role) => $"{role}-{Guid.NewGuid():N}";

    async Task<(Guid JobId, string Url, string Path)> CompletedImageUrlsAsync(string tenant)
    {
        var jobId = await cluster.SubmitAsync(SampleCases.Small(tenant, 1));
        var status = await cluster.WaitForJobAsync(jobId, JobTimeout, JobStatuses.Completed);
        var url = status.Images().Single().GetProperty("url").GetString()!;
        return (jobId, url, url[..url.IndexOf('?')]);
    }

    async Task<byte[]> SigningKeyAsync()
    {
        await using var db = NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        await using var command = db.CreateCommand("SELECT key FROM signing_keys WHERE purpose = 'image-urls'");
        return (byte[])(await command.ExecuteScalarAsync())!;
    }
}
