using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ImageBus.Api;

namespace ImageBus.Client;

/// <summary>Filters of <see cref="ImageBusClient.ListAsync"/> (all optional; <see cref="TenantId"/> for admin keys).</summary>
public sealed record JobListFilter(
    string? Status = null, string? CaseId = null, DateTimeOffset? CreatedFrom = null, DateTimeOffset? CreatedTo = null, int? Limit = null,
    string? TenantId = null);

/// <summary>One Server-Sent Event of a job's stream: <see cref="Sequence"/> (its <c>id:</c>), <see cref="Type"/> (the event type,
/// e.g. <c>image.completed</c>) and <see cref="Data"/>, the webhook body.</summary>
public sealed record JobEvent(long Sequence, string Type, JsonElement Data);

/// <summary>A typed client of the ImageBus gateway. The <see cref="HttpClient"/> carries the base address and the key
/// (<see cref="Create"/> sets both); every error answer becomes an <see cref="ImageBusApiException"/> with its problem details.</summary>
public sealed class ImageBusClient(HttpClient http)
{
    static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;
    static readonly string[] TerminalStatuses = ["completed", "partial", "failed", "cancelled", "rejected"];

    /// <summary>Image renditions of <see cref="GetImageAsync"/>.</summary>
    public static class Variants
    {
        public const string Full = "full";
        public const string Webp = "webp";
        public const string Thumb = "thumb";
    }

    public static ImageBusClient Create(Uri gateway, string apiKey, HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient() : new HttpClient(handler);
        client.BaseAddress = gateway;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new ImageBusClient(client);
    }

    /// <summary>Submits a case; <paramref name="idempotencyKey"/> goes as the <c>Idempotency-Key</c> header. A repeat of a key
    /// the gateway knows answers that job (its current status), whose id is returned all the same.</summary>
    public async Task<JobAcceptedResponse> SubmitAsync(SubmitJobRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(request, options: Json) };
        if (idempotencyKey is not null)
        {
            message.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await SendAsync(message, cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var status = (await ReadAsync<JobStatusResponse>(response, cancellationToken))!;
            return new JobAcceptedResponse(status.JobId, status.Status, $"/v1/jobs/{status.JobId}");
        }

        return (await ReadAsync<JobAcceptedResponse>(response, cancellationToken))!;
    }

    public Task<JobStatusResponse> GetAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        GetJsonAsync<JobStatusResponse>($"/v1/jobs/{jobId}", cancellationToken);

    /// <summary>One page of jobs, newest first; pass its <see cref="JobPage.NextCursor"/> as <paramref name="cursor"/> for the next.</summary>
    public Task<JobPage> ListAsync(JobListFilter? filter = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("status", filter?.Status);
        Add("caseId", filter?.CaseId);
        Add("tenantId", filter?.TenantId);
        Add("createdFrom", filter?.CreatedFrom?.ToString("O"));
        Add("createdTo", filter?.CreatedTo?.ToString("O"));
        Add("limit", filter?.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("cursor", cursor);
        return GetJsonAsync<JobPage>(query.Count == 0 ? "/v1/jobs" : $"/v1/jobs?{string.Join('&', query)}", cancellationToken);
    }

    /// <summary>Every job the filter finds, page after page.</summary>
    public async IAsyncEnumerable<JobSummary> ListAllAsync(JobListFilter? filter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListAsync(filter, cursor, cancellationToken);
            foreach (var job in page.Items)
            {
                yield return job;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>Polls the job until it is terminal (completed, partial, failed, cancelled, rejected) or in one of
    /// <paramref name="statuses"/>; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<JobStatusResponse> WaitAsync(
        Guid jobId, TimeSpan timeout, IReadOnlyCollection<string>? statuses = null, CancellationToken cancellationToken = default)
    {
        var wanted = statuses is { Count: > 0 } ? statuses : TerminalStatuses;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        JobStatusResponse? last = null;
        try
        {
            while (true)
            {
                last = await GetAsync(jobId, deadline.Token);
                if (wanted.Contains(last.Status))
                {
                    return last;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"job {jobId} not {string.Join("/", wanted)} after {timeout}; last {last?.Status ?? "unknown"}");
        }
    }

    /// <summary>The job's events as they happen (those so far first, or those after <paramref name="lastEventId"/>); ends after the
    /// job's last event.</summary>
    public async IAsyncEnumerable<JobEvent> StreamEventsAsync(
        Guid jobId, long? lastEventId = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/events");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } after)
        {
            message.Headers.Add("Last-Event-ID", after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await SendAsync(message, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
        {
            using var data = JsonDocument.Parse(item.Data);
            yield return new JobEvent(long.Parse(item.EventId ?? "0", System.Globalization.CultureInfo.InvariantCulture), item.EventType,
                data.RootElement.Clone());
        }
    }

    /// <summary>Asks a partial or failed job to try its failed images again (409 in other states).</summary>
    public Task RetryAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        PostAsync($"/v1/jobs/{jobId}/retry", null, cancellationToken);

    /// <summary>Asks a job that has not ended to stop (409 once it ended).</summary>
    public Task CancelAsync(Guid jobId, string? reason = null, CancellationToken cancellationToken = default) =>
        PostAsync($"/v1/jobs/{jobId}/cancel", new CancelJobRequest(reason), cancellationToken);

    /// <summary>Copies the job's archive (its finished images and <c>manifest.json</c>) into <paramref name="destination"/> as it
    /// arrives.</summary>
    public async Task DownloadArchiveAsync(Guid jobId, Stream destination, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/archive.zip");
        using var response = await SendAsync(message, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await response.Content.CopyToAsync(destination, cancellationToken);
    }

    /// <summary>One rendition of an image (<see cref="Variants"/>) and its content type.</summary>
    public async Task<(byte[] Content, string ContentType)> GetImageAsync(
        Guid jobId, string itemId, string variant = Variants.Full, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/images/{Uri.EscapeDataString(itemId)}?variant={Uri.EscapeDataString(variant)}");
        using var response = await SendAsync(message, cancellationToken);
        return (await response.Content.ReadAsByteArrayAsync(cancellationToken), response.Content.Headers.ContentType?.MediaType ?? "");
    }

    // Operations (admin keys).

    public async Task<RetentionRunResponse> RunRetentionAsync(bool dryRun = true, CancellationToken cancellationToken = default) =>
        await PostJsonAsync<RetentionRunResponse>("/v1/admin/retention/run", new RunRetentionRequest(dryRun), cancellationToken);

    public async Task<IReadOnlyList<DeadLetterGroup>> ListDeadLetterGroupsAsync(CancellationToken cancellationToken = default) =>
        (await GetJsonAsync<DeadLetterGroupList>("/v1/admin/dead-letters/groups", cancellationToken)).Groups;

    public Task<DeadLetterPage> ListDeadLettersAsync(string? groupId = null, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = string.Join('&', new[] { ("groupId", groupId), ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("cursor", cursor) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        return GetJsonAsync<DeadLetterPage>(query.Length == 0 ? "/v1/admin/dead-letters" : $"/v1/admin/dead-letters?{query}", cancellationToken);
    }

    public Task<DeadLetter> GetDeadLetterAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetJsonAsync<DeadLetter>($"/v1/admin/dead-letters/{id}", cancellationToken);

    /// <summary>Sends the selected dead letters back to their source queues; how many went.</summary>
    public async Task<int> RetryDeadLettersAsync(DeadLetterSelector selector, CancellationToken cancellationToken = default) =>
        (await PostJsonAsync<DeadLettersRetried>("/v1/admin/dead-letters/retry", selector, cancellationToken)).Retried;

    public async Task<int> DeleteDeadLettersAsync(DeadLetterSelector selector, CancellationToken cancellationToken = default) =>
        (await PostJsonAsync<DeadLettersDeleted>("/v1/admin/dead-letters/delete", selector, cancellationToken)).Deleted;

    public async Task<IReadOnlyList<DeadLetterAuditEntry>> ListDeadLetterAuditAsync(int? limit = null, CancellationToken cancellationToken = default) =>
        (await GetJsonAsync<DeadLetterAudit>(limit is null ? "/v1/admin/dead-letters/audit" : $"/v1/admin/dead-letters/audit?limit={limit}", cancellationToken)).Entries;

    public Task<SystemHealth> GetSystemHealthAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync<SystemHealth>("/v1/admin/system-health", cancellationToken);

    async Task<T> GetJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(message, cancellationToken);
        return (await ReadAsync<T>(response, cancellationToken))!;
    }

    async Task<T> PostJsonAsync<T>(string path, object body, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, body.GetType(), options: IgnoringNulls) };
        using var response = await SendAsync(message, cancellationToken);
        return (await ReadAsync<T>(response, cancellationToken))!;
    }

    async Task PostAsync(string path, object? body, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: Json) };
        using var _ = await SendAsync(message, cancellationToken);
    }

    /// <summary>Selectors send exactly the field they set.</summary>
    static readonly JsonSerializerOptions IgnoringNulls = new(JsonSerializerOptions.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    static async Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);

    async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage message, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var response = await http.SendAsync(message, completion, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ProblemOf(response, cancellationToken);
        }
    }

    static async Task<ImageBusApiException> ProblemOf(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string? title = response.ReasonPhrase, detail = null;
        var errors = new Dictionary<string, string[]>();
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            title = root.TryGetProperty("title", out var t) ? t.GetString() : title;
            detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
            if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in e.EnumerateObject())
                {
                    errors[field.Name] = [.. field.Value.EnumerateArray().Select(m => m.GetString() ?? "")];
                }
            }
        }
        catch (JsonException)
        {
            // Not problem details (a proxy's page, an empty 404): the status says it.
            detail = text.Length == 0 ? null : text[..Math.Min(text.Length, 200)];
        }

        return new ImageBusApiException(response.StatusCode, title, detail, errors);
    }
}
