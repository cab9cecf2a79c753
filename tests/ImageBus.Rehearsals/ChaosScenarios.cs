using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Testing;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace ImageBus.Rehearsals;

/// <summary>One line of the chaos table; every count but <see cref="Jobs"/> should be 0.</summary>
public sealed record ChaosRow(
    string Scenario, int Jobs, int JobsLost, int StuckPastDeadline, int ImagesGeneratedTwice, int WebhookEventsMissing,
    int BadInputsWithoutClearError, TimeSpan Took, string Outcomes)
{
    public bool AllZero => JobsLost + StuckPastDeadline + ImagesGeneratedTwice + WebhookEventsMissing + BadInputsWithoutClearError == 0;
}

/// <summary>Bounded disruptions on loopback, each on a cluster of its own (and servers of its own where the disruption
/// restarts a server), counted the same way: jobs answered 202 but unknown or without all their images accounted for
/// (lost), non-terminal past their deadline (stuck), items Gemini answered with an image more often than they were
/// attempted (generated twice; each job's calls are told apart by the trace id it was submitted with), events recorded
/// for a job that its webhook receiver never got (missing), and bad inputs answered without a 400 listing the problem.</summary>
public static class ChaosScenarios
{
    const int Items = 14;
    // Short enough for a bounded run; the sweeper ends anything still open at its deadline.
    const int DeadlineSeconds = 150;
    static readonly TimeSpan Settle = TimeSpan.FromSeconds(DeadlineSeconds + 45);

    /// <summary>The chaos settings every cluster runs with: Gemini calls cut at 5 s and tried 3 times, webhook retries
    /// within minutes rather than hours, so that every scenario ends within its deadline.</summary>
    static readonly Dictionary<string, string> ChaosSettings = new()
    {
        ["Gemini__CallTimeout"] = "00:00:05",
        ["Gemini__MaxAttempts"] = "3",
        ["Webhooks__RetrySchedule__0"] = "00:00:00",
        ["Webhooks__RetrySchedule__1"] = "00:00:05",
        ["Webhooks__RetrySchedule__2"] = "00:00:30",
        ["Webhooks__RetrySchedule__3"] = "00:01:00",
        ["Webhooks__RetrySchedule__4"] = "00:01:00",
        ["Webhooks__RetrySchedule__5"] = "00:01:00",
    };

    public sealed record Scenario(string Name, bool Fast, Func<ChaosOptions, Task<ChaosRow>> Run);

    public sealed record ChaosOptions(TimeSpan WebhookOutage, int BrokerRestarts, int BurstCases);

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("kill -9 a worker during Gemini calls", true, _ => KillDuringCallsAsync("Worker")),
        new("kill -9 the orchestrator", true, _ => KillDuringCallsAsync("Orchestrator")),
        new("restart RabbitMQ (N times in a row)", false, RestartBrokerAsync),
        new("one RabbitMQ node killed mid-run, then restarted", true, _ => KillBrokerNodeAsync()),
        new("restart PostgreSQL", false, _ => RestartPostgresAsync()),
        new("FakeGemini hanging (2 items a case)", true, _ => GeminiMisbehavesAsync("FakeGemini hanging", "[fake:hang]", items: 2)),
        new("FakeGemini answering 100 % 500", true, _ => GeminiMisbehavesAsync("FakeGemini 100 % 500", "[fake:error=500]", items: Items)),
        new("429 storm (quota 20/min, no budget)", false, _ => QuotaStormAsync()),
        new("webhook receiver down", false, WebhookOutageAsync),
        new("N cases submitted at once", false, o => ManyCasesAsync(o.BurstCases)),
        new("duplicate and malformed commands", true, _ => BadAndDuplicateInputsAsync()),
    ];

    static async Task<ChaosRow> KillDuringCallsAsync(string service)
    {
        const int latencyMs = 3000;
        await using var run = await ChaosRun.StartAsync(latencyMs);
        return await run.CasesAsync($"kill -9 {service.ToLowerInvariant()} during Gemini calls", cases: 3, disrupt: async firstJob =>
        {
            // While the first job's calls wait for their answers: its images are dispatched, Gemini has not answered yet.
            // (A kill after an answer but before its result is published makes the image again: at least once.)
            await run.Pipeline.Cluster.WaitForJobAsync(firstJob, TimeSpan.FromMinutes(2), "generating");
            await Task.Delay(latencyMs / 2);
            run.Pipeline.Cluster.Service(service).Kill();
            await Task.Delay(TimeSpan.FromSeconds(2));
            run.Pipeline.Cluster.StartService(service);
        });
    }

    static async Task<ChaosRow> RestartBrokerAsync(ChaosOptions options)
    {
        await using var broker = await PrivateServers.StartBrokerAsync();
        await using var run = await ChaosRun.StartAsync(latencyMs: 1000, broker: broker.Endpoint);
        return await run.CasesAsync($"restart RabbitMQ ({options.BrokerRestarts} times in a row)", cases: 3, disrupt: async _ =>
        {
            await run.WaitForGeminiCallsAsync(3);
            for (var i = 0; i < options.BrokerRestarts; i++)
            {
                await broker.StopAsync();
                await broker.StartAgainAsync();
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        });
    }

    /// <summary>On a three-node cluster of its own, node 1 (the first of instance 1's nodes, where the queues were declared and
    /// so have their leaders) killed as a crash would while images are being made, and started again 10 s later.</summary>
    static async Task<ChaosRow> KillBrokerNodeAsync()
    {
        await using var broker = await PrivateServers.StartBrokerClusterAsync();
        await using var run = await ChaosRun.StartAsync(latencyMs: 1000, brokerCluster: broker.Endpoint);
        return await run.CasesAsync("one RabbitMQ node of three killed (kill -9) mid-run, restarted 10 s later", cases: 3, disrupt: async _ =>
        {
            await run.WaitForGeminiCallsAsync(3);
            await broker.RunAsync("kill_cluster_node 1");
            await Task.Delay(TimeSpan.FromSeconds(10));
            await broker.RunAsync("restart_cluster_node 1");
        });
    }

    static async Task<ChaosRow> RestartPostgresAsync()
    {
        await using var postgres = await PrivateServers.StartPostgresAsync();
        await using var run = await ChaosRun.StartAsync(latencyMs: 1000, postgresPort: postgres.Endpoint);
        return await run.CasesAsync("restart PostgreSQL", cases: 3, disrupt: async _ =>
        {
            await run.WaitForGeminiCallsAsync(3);
            await postgres.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            await postgres.StartAgainAsync();
        });
    }

    static async Task<ChaosRow> GeminiMisbehavesAsync(string name, string marker, int items)
    {
        await using var run = await ChaosRun.StartAsync(latencyMs: 200);
        return await run.CasesAsync(name, cases: 2, marker: (marker, items));
    }

    static async Task<ChaosRow> QuotaStormAsync()
    {
        await using var run = await ChaosRun.StartAsync(latencyMs: 200, new Dictionary<string, string> { ["FakeGemini__RequestsPerMinute"] = "20" });
        return await run.CasesAsync("429 storm (quota 20/min, workers without a budget)", cases: 3);
    }

    static async Task<ChaosRow> WebhookOutageAsync(ChaosOptions options)
    {
        await using var run = await ChaosRun.StartAsync(latencyMs: 500);
        run.Receiver.Respond(_ => Task.FromResult(StatusCodes.Status503ServiceUnavailable));
        return await run.CasesAsync($"webhook receiver down for {options.WebhookOutage.TotalSeconds:0} s", cases: 3, disrupt: async _ =>
        {
            await Task.Delay(options.WebhookOutage);
            run.Receiver.Respond(_ => Task.FromResult(StatusCodes.Status200OK));
        });
    }

    static async Task<ChaosRow> ManyCasesAsync(int cases)
    {
        await using var run = await ChaosRun.StartAsync(latencyMs: 200);
        // Each of its own tenant, as a burst from many apps: one tenant's cases queue behind its generating limit.
        return await run.CasesAsync($"{cases} cases submitted at once ({cases} tenants)", cases, tenantPerCase: true);
    }

    /// <summary>Five concurrent repeats of one idempotency key (one job, the others 200 with it) and a key reused with
    /// another body (409), then bodies that must each be refused with a 400 naming the field.</summary>
    static async Task<ChaosRow> BadAndDuplicateInputsAsync()
    {
        await using var run = await ChaosRun.StartAsync(latencyMs: 200);
        var clock = Stopwatch.StartNew();
        var client = await run.Pipeline.Cluster.ClientForTenantAsync(ChaosRun.Tenant);
        var body = Pipeline.SampleCase(ChaosRun.Tenant, 256);
        body["webhookUrl"] = run.Receiver.Url;
        body["deadlineSeconds"] = DeadlineSeconds;
        body["idempotencyKey"] = $"chaos-{Guid.NewGuid():N}";
        var repeats = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            using var response = await client.PostAsJsonAsync("/v1/jobs", body);
            return ((int)response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid());
        }));
        var jobs = repeats.Select(r => r.Item2).Distinct().ToList();
        var otherBody = body.DeepClone().AsObject();
        otherBody["caseId"] = "another-case";
        using var conflict = await client.PostAsJsonAsync("/v1/jobs", otherBody);

        var bad = new (string Body, string Field)[]
        {
            ("{\"caseId\": \"c\u0000\", \"items\": []}", "caseId"),
            ($"{{\"caseId\": \"{new string('x', 5_000_000)}\", \"items\": []}}", "caseId"),
            ("{\"caseId\": 42, \"items\": \"none\"}", "caseId"),
            ("{\"caseId\": \"c\", \"items\": [{\"itemId\": \"a/b\", \"kind\": \"evidence\", \"name\": \"n\"}]}", "items[0].itemId"),
            ("{\"caseId\": \"c\", \"items\": [{\"itemId\": \"a\", \"kind\": \"evidence\", \"name\": \"n\"}, {\"itemId\": \"A\", \"kind\": \"evidence\", \"name\": \"n\"}]}", "items[1].itemId"),
            ("{\"caseId\": \"c\", \"webhookUrl\": \"http://169.254.169.254/\", \"items\": [{\"itemId\": \"a\", \"kind\": \"evidence\", \"name\": \"n\"}]}", "webhookUrl"),
            ("not json at all", ""),
        };
        var unclear = 0;
        foreach (var (text, field) in bad)
        {
            using var response = await client.PostAsync("/v1/jobs", new StringContent(text, Encoding.UTF8, "application/json"));
            var problem = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest || !problem.Contains("\"errors\"", StringComparison.Ordinal)
                || !problem.Contains(field.Split('[')[0], StringComparison.OrdinalIgnoreCase))
            {
                unclear++;
            }
        }

        // Duplicates that made more than one job, or a reused key not refused, count as bad inputs without a clear answer.
        unclear += (jobs.Count - 1) + (conflict.StatusCode == HttpStatusCode.Conflict ? 0 : 1);
        var row = await run.CountAsync("duplicate and malformed commands", jobs.Select(j => (j, body)).ToList(), clock);
        return row with { BadInputsWithoutClearError = row.BadInputsWithoutClearError + unclear, Outcomes = $"{row.Outcomes}; {bad.Length} bad bodies, 5 repeats" };
    }

    /// <summary>The cluster, webhook receiver and counting of one scenario.</summary>
    sealed class ChaosRun : IAsyncDisposable
    {
        public const string Tenant = "chaos";

        ChaosRun(Pipeline pipeline, WebhookReceiver receiver) => (Pipeline, Receiver) = (pipeline, receiver);

        public Pipeline Pipeline { get; }
        public WebhookReceiver Receiver { get; }
        readonly Dictionary<Guid, string> traces = [];
        DateTimeOffset started;

        public static async Task<ChaosRun> StartAsync(int latencyMs, IReadOnlyDictionary<string, string>? settings = null,
            BrokerPorts? broker = null, int? postgresPort = null, BrokerClusterPorts? brokerCluster = null)
        {
            var environment = new Dictionary<string, string>(ChaosSettings);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }

            var receiver = await WebhookReceiver.StartAsync();
            return new ChaosRun(await Pipeline.StartAsync(latencyMs, environment, broker, postgresPort, brokerCluster), receiver);
        }

        /// <summary>Submits the sample case <paramref name="cases"/> times (each with a trace of its own and the receiver as
        /// its webhook), runs the disruption alongside, and counts.</summary>
        /// <param name="disrupt">Run alongside, given the first job's id once it was accepted.</param>
        public async Task<ChaosRow> CasesAsync(string name, int cases, Func<Guid, Task>? disrupt = null, (string Marker, int Items)? marker = null,
            bool tenantPerCase = false)
        {
            var tenants = Enumerable.Range(0, cases).Select(i => tenantPerCase ? $"{Tenant}-{i:000}" : Tenant).ToList();
            var clients = await Task.WhenAll(tenants.Distinct().Select(async t => (t, await Pipeline.Cluster.ClientForTenantAsync(t))));
            var clientOf = clients.ToDictionary(c => c.t, c => c.Item2);
            var clock = Stopwatch.StartNew();
            started = DateTimeOffset.UtcNow;
            var disruption = Task.CompletedTask;
            var submitted = new List<(Guid, JsonObject)>();
            for (var i = 0; i < cases; i++)
            {
                var body = Pipeline.SampleCase(tenants[i], 256);
                body["webhookUrl"] = Receiver.Url;
                body["deadlineSeconds"] = DeadlineSeconds;
                if (marker is { } m)
                {
                    foreach (var item in body["items"]!.AsArray().Take(m.Items))
                    {
                        item!["description"] = $"{(string?)item["description"]} {m.Marker}";
                    }
                }

                var trace = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(body) };
                request.Headers.Add("traceparent", $"00-{trace}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
                using var response = await clientOf[tenants[i]].SendAsync(request);
                var job = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("jobId").GetGuid();
                traces[job] = trace;
                submitted.Add((job, body));
                if (i == 0 && disrupt is not null)
                {
                    disruption = Task.Run(() => disrupt(job));
                }
            }

            await disruption;
            return await CountAsync(name, submitted, clock);
        }

        public async Task WaitForGeminiCallsAsync(int calls)
        {
            while ((await Pipeline.GeminiCallsAsync(started)).Count < calls)
            {
                await Task.Delay(100);
            }
        }

        public async Task<ChaosRow> CountAsync(string name, IReadOnlyList<(Guid Job, JsonObject Body)> jobs, Stopwatch clock)
        {
            var statuses = new Dictionary<Guid, JsonElement?>();
            var until = DateTimeOffset.UtcNow + Settle;
            foreach (var (job, _) in jobs)
            {
                statuses[job] = await TerminalOrLastAsync(job, until);
            }

            var lost = statuses.Count(s => s.Value is not { } status || status.GetProperty("counts").GetProperty("total").GetInt32() != Items);
            var stuck = statuses.Values.Count(s => s is { } status && !Pipeline.IsTerminal(status)
                && status.GetProperty("deadlineAt").GetDateTimeOffset() < DateTimeOffset.UtcNow);

            // Webhooks: every recorded event of the jobs received at least once, allowing the retry schedule to run.
            var missing = await WaitForWebhooksAsync(jobs.Select(j => j.Job).ToHashSet(), TimeSpan.FromMinutes(3));
            var twice = await GeneratedTwiceAsync(statuses);
            var outcomes = string.Join(", ", statuses.Values.Select(s => s is { } status ? status.GetProperty("status").GetString() : "unknown")
                .GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}"));
            return new ChaosRow(name, jobs.Count, lost, stuck, twice, missing, 0, clock.Elapsed, outcomes);
        }

        async Task<JsonElement?> TerminalOrLastAsync(Guid job, DateTimeOffset until)
        {
            JsonElement? last = null;
            while (true)
            {
                try
                {
                    using var response = await Pipeline.Cluster.Admin.GetAsync($"/v1/jobs/{job}");
                    if (response.IsSuccessStatusCode)
                    {
                        last = await response.Content.ReadFromJsonAsync<JsonElement>();
                        if (Pipeline.IsTerminal(last.Value))
                        {
                            return last;
                        }
                    }
                }
                catch (HttpRequestException)
                {
                    // The gateway may be waiting for a restarted server.
                }

                if (DateTimeOffset.UtcNow > until)
                {
                    return last;
                }

                await Task.Delay(500);
            }
        }

        async Task<int> WaitForWebhooksAsync(HashSet<Guid> jobs, TimeSpan patience)
        {
            var until = DateTimeOffset.UtcNow + patience;
            while (true)
            {
                var recorded = await RecordedEventsAsync(jobs);
                var received = Receiver.Received.Select(h => (h.JobId, h.Sequence)).ToHashSet();
                var missing = recorded.Count(e => !received.Contains(e));
                if (missing == 0 || DateTimeOffset.UtcNow > until)
                {
                    return missing;
                }

                await Task.Delay(1000);
            }
        }

        async Task<List<(Guid, long)>> RecordedEventsAsync(HashSet<Guid> jobs)
        {
            await using var connection = new NpgsqlConnection(Pipeline.Cluster.Database.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT job_id, sequence FROM job_events WHERE job_id = ANY(@jobs)", connection);
            command.Parameters.AddWithValue("jobs", jobs.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            var events = new List<(Guid, long)>();
            while (await reader.ReadAsync())
            {
                events.Add((reader.GetGuid(0), reader.GetInt64(1)));
            }

            return events;
        }

        /// <summary>Per job, Gemini's image answers (HTTP 200 generateContent calls of its trace) beyond one per item attempt.</summary>
        async Task<int> GeneratedTwiceAsync(Dictionary<Guid, JsonElement?> statuses)
        {
            var answered = (await Pipeline.GeminiCallsAsync(started)).Where(c => c.Status == 200 && c.TraceId is not null)
                .GroupBy(c => c.TraceId!).ToDictionary(g => g.Key, g => g.Count());
            return statuses.Sum(s =>
            {
                var attempts = s.Value is { } status ? status.GetProperty("images").EnumerateArray().Sum(i => i.GetProperty("attempt").GetInt32()) : 0;
                return traces.TryGetValue(s.Key, out var trace) && answered.TryGetValue(trace, out var calls) ? Math.Max(0, calls - attempts) : 0;
            });
        }

        public async ValueTask DisposeAsync()
        {
            await Pipeline.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }
}
