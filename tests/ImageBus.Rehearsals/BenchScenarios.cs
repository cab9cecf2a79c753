using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImageBus.Testing;
using Npgsql;

namespace ImageBus.Rehearsals;

/// <summary>The scenarios of issue 11's table, each on a cluster of its own.</summary>
static class BenchScenarios
{
    const int ImagesPerCase = 14;
    static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(10);

    /// <summary>One 14-image case at L = 2 s, alone: submit → terminal status over L; and when its Gemini calls started
    /// (first after submit, spread first → last), without a budget and at the shipped 600 RPM.</summary>
    public static async Task<IReadOnlyList<Figure>> MakespanAsync(BenchOptions options)
    {
        const int latencyMs = 2000;
        var figures = new List<Figure>();
        foreach (var (label, rpm) in new[] { ("no budget", "100000"), ("600 RPM", "600") })
        {
            await using var pipeline = await Pipeline.StartAsync(latencyMs, new Dictionary<string, string> { ["Worker__RequestsPerMinute"] = rpm });
            // A warm-up case: first connections, JIT and the start-up model check are not the pipeline's steady state.
            await pipeline.WaitAsync(await pipeline.SubmitAsync(Pipeline.SampleCase("bench", 1024)), JobTimeout);
            var makespans = new List<double>();
            var spreads = new List<double>();
            var firstCalls = new List<double>();
            for (var run = 0; run < options.Runs; run++)
            {
                var submitted = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                var job = await pipeline.SubmitAsync(Pipeline.SampleCase("bench", 1024));
                await pipeline.WaitAsync(job, JobTimeout);
                makespans.Add(clock.Elapsed.TotalMilliseconds / latencyMs);
                var calls = await pipeline.GeminiCallsAsync(submitted);
                firstCalls.Add((calls[0].At - submitted).TotalMilliseconds);
                spreads.Add((calls[^1].At - calls[0].At).TotalMilliseconds);
            }

            figures.Add(new($"14-image case, L = 2 s, {label}: makespan / L ({options.Runs} runs)", Stats.Range(makespans, "0.00", " L")));
            figures.Add(new($"14-image case, {label}: submit → first Gemini call", Stats.Range(firstCalls, "0", " ms")));
            figures.Add(new($"14-image case, {label}: first → 14th Gemini call", Stats.Range(spreads, "0", " ms")));
        }

        return figures;
    }

    /// <summary>N cases × 14 images on N tenants at L = 0, submitted at once: images/s from the first submit to the last job
    /// finished, with 1024 px outputs (full post-processing) and 128 px outputs (post-processing nearly free), and the
    /// CPU the four services spent per image.</summary>
    public static async Task<IReadOnlyList<Figure>> ThroughputAsync(BenchOptions options)
    {
        var figures = new List<Figure>();
        foreach (var size in new[] { 1024, 128 })
        {
            await using var pipeline = await Pipeline.StartAsync(latencyMs: 0);
            var tenants = Enumerable.Range(0, options.Cases).Select(i => $"bench-{i:000}").ToList();
            // Keys made before the clock starts (and one warm-up case): the figure is the pipeline's, not the admin API's.
            await Task.WhenAll(tenants.Select(pipeline.Cluster.ClientForTenantAsync));
            await pipeline.WaitAsync(await pipeline.SubmitAsync(Pipeline.SampleCase(tenants[0], size)), JobTimeout);

            var cpuBefore = pipeline.ServicesCpuByService();
            var transactionsBefore = await pipeline.DatabaseTransactionsAsync();
            var started = DateTimeOffset.UtcNow;
            var jobs = await Task.WhenAll(tenants.Select(t => pipeline.SubmitAsync(Pipeline.SampleCase(t, size))));
            // Watched with one query a second rather than 100 clients' status reads, which would take the CPU and the
            // database transactions the pipeline is measured on; the end is the jobs' own finishedAt, not when it was seen.
            await pipeline.WaitAllFinishedAsync(jobs, JobTimeout);
            var cpuByService = pipeline.ServicesCpuByService().ToDictionary(c => c.Key, c => c.Value - cpuBefore[c.Key]);
            var cpu = cpuByService.Values.Aggregate(TimeSpan.Zero, (sum, c) => sum + c);
            var transactions = await pipeline.DatabaseTransactionsAsync() - transactionsBefore;
            var statuses = await Task.WhenAll(jobs.Select(j => pipeline.WaitAsync(j, JobTimeout)));
            var elapsed = statuses.Max(s => s.GetProperty("finishedAt").GetDateTimeOffset()) - started;
            var images = statuses.Sum(s => s.GetProperty("counts").GetProperty("completed").GetInt32());

            figures.Add(new($"{options.Cases} cases × 14, {options.Cases} tenants, L = 0, {size} px: throughput",
                $"{images / elapsed.TotalSeconds:0.0} images/s ({images} images in {elapsed.TotalSeconds:0.0} s)"));
            figures.Add(new($"{options.Cases} cases × 14, {size} px: CPU of gateway + orchestrator + worker + notifier per image",
                $"{cpu.TotalMilliseconds / Math.Max(1, images):0.0} ms ("
                + string.Join(", ", cpuByService.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value.TotalMilliseconds / Math.Max(1, images):0.0}"))
                + ")"));
            figures.Add(new($"{options.Cases} cases × 14, {size} px: database transactions per image",
                $"{transactions / (double)Math.Max(1, images):0.0}"));
        }

        return figures;
    }

    /// <summary>10 cases at once against a FakeGemini quota of 100 calls a minute, with the workers' budget set to it: how
    /// much of the quota the first minute used, the 429s, and when the 140 calls were made.</summary>
    public static async Task<IReadOnlyList<Figure>> BurstAsync(BenchOptions options)
    {
        const int quota = 100;
        await using var pipeline = await Pipeline.StartAsync(latencyMs: 200, new Dictionary<string, string>
        {
            ["FakeGemini__RequestsPerMinute"] = quota.ToString(CultureInfo.InvariantCulture),
            ["Worker__RequestsPerMinute"] = quota.ToString(CultureInfo.InvariantCulture),
        });
        var tenants = Enumerable.Range(0, 10).Select(i => $"burst-{i}").ToList();
        await Task.WhenAll(tenants.Select(pipeline.Cluster.ClientForTenantAsync));
        // FakeGemini's windows are aligned on the minute: start just after one turns, so the burst meets one window.
        await Task.Delay(TimeSpan.FromSeconds(61 - DateTimeOffset.UtcNow.Second));

        var submitted = DateTimeOffset.UtcNow;
        var jobs = await Task.WhenAll(tenants.Select(t => pipeline.SubmitAsync(Pipeline.SampleCase(t, 256))));
        var statuses = await Task.WhenAll(jobs.Select(j => pipeline.WaitAsync(j, JobTimeout)));
        var calls = await pipeline.GeminiCallsAsync(submitted);
        var answered = calls.Where(c => c.Status == 200).ToList();
        var firstMinute = answered.Count(c => c.At < answered[0].At.AddMinutes(1));
        var withinFirst = answered.Take(quota).ToList();

        return
        [
            new("10-case burst (140 images), quota 100/min: budget used in the first minute", $"{100.0 * firstMinute / quota:0.0} % ({firstMinute} calls)"),
            new("10-case burst: 429s from Gemini", calls.Count(c => c.Status == 429).ToString(CultureInfo.InvariantCulture)),
            new("10-case burst: first → 100th call", $"{(withinFirst[^1].At - withinFirst[0].At).TotalMilliseconds:0} ms"),
            new("10-case burst: images completed", $"{statuses.Sum(s => s.GetProperty("counts").GetProperty("completed").GetInt32())} of 140"),
        ];
    }

    /// <summary>A busy tenant submits 4 cases, a quiet one 1 case 2 s later, against a budget of 30 calls a minute (the
    /// bottleneck: 70 calls take three windows): when each finishes, and how far the busy tenant's waiting case's
    /// <c>estimatedStartAt</c> was from when it started.</summary>
    public static async Task<IReadOnlyList<Figure>> FairnessAsync(BenchOptions options)
    {
        const int rpm = 30;
        const int busyCases = 4;
        await using var pipeline = await Pipeline.StartAsync(latencyMs: 200, new Dictionary<string, string>
        {
            ["Worker__RequestsPerMinute"] = rpm.ToString(CultureInfo.InvariantCulture),
        });
        await Task.WhenAll(new[] { "busy", "quiet" }.Select(pipeline.Cluster.ClientForTenantAsync));
        // A warm-up case, which is also the finished job the start estimates learn a duration from; then a fresh window.
        await pipeline.WaitAsync(await pipeline.SubmitAsync(Pipeline.SampleCase("busy", 256)), JobTimeout);
        await Task.Delay(TimeSpan.FromSeconds(61));

        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var busy = new List<Guid>();
        for (var i = 0; i < busyCases; i++)
        {
            busy.Add(await pipeline.SubmitAsync(Pipeline.SampleCase("busy", 256)));
        }

        var estimates = new Dictionary<Guid, DateTimeOffset>();
        foreach (var job in busy)
        {
            // Once the orchestrator has the job: a waiting one says when it may start.
            var status = await pipeline.Cluster.WaitForJobAsync(job, JobTimeout, "pending", "generating", "completed", "partial", "failed");
            if (status.TryGetProperty("estimatedStartAt", out var at) && at.ValueKind == JsonValueKind.String)
            {
                estimates[job] = at.GetDateTimeOffset();
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(2) - clock.Elapsed);
        var quietSubmitted = clock.Elapsed;
        var quiet = await pipeline.SubmitAsync(Pipeline.SampleCase("quiet", 256));
        await pipeline.WaitAsync(quiet, JobTimeout);
        var quietTook = clock.Elapsed - quietSubmitted;
        var busyStatuses = await Task.WhenAll(busy.Select(j => pipeline.WaitAsync(j, JobTimeout)));
        var busyLast = busyStatuses.Max(s => s.GetProperty("finishedAt").GetDateTimeOffset());
        var errors = busyStatuses.Where(s => estimates.ContainsKey(s.GetProperty("jobId").GetGuid()))
            .Select(s => Math.Abs((s.GetProperty("startedAt").GetDateTimeOffset() - estimates[s.GetProperty("jobId").GetGuid()]).TotalSeconds))
            .ToList();

        return
        [
            new($"fairness, {rpm} RPM, {busyCases} busy cases then 1 quiet case: quiet case submit → done", $"{quietTook.TotalSeconds:0.0} s"),
            new("fairness: busy tenant's last case done after submit", $"{(busyLast - started).TotalSeconds:0.0} s"),
            new("fairness: busy tenant's waiting cases, estimatedStartAt off by",
                errors.Count == 0 ? "no estimate" : $"{Stats.Range(errors, "0.0", " s")} over {errors.Count} waiting case(s)"),
        ];
    }

    /// <summary>The sample case on gemini-3-pro-image (priced by token) live and in batch mode (batches sealed after 2 s,
    /// polled every second): the cost each reports and their ratio.</summary>
    public static async Task<IReadOnlyList<Figure>> CostAsync(BenchOptions options)
    {
        await using var pipeline = await Pipeline.StartAsync(latencyMs: 200, new Dictionary<string, string>
        {
            ["Batching__MaxWait"] = "00:00:02",
            ["Batching__PollInterval"] = "00:00:01",
        });
        var costs = new Dictionary<string, decimal>();
        foreach (var mode in new[] { "live", "batch" })
        {
            var request = Pipeline.SampleCase("cost", 1024);
            request["model"] = "gemini-3-pro-image";
            request["mode"] = mode;
            var status = await pipeline.WaitAsync(await pipeline.SubmitAsync(request), JobTimeout);
            costs[mode] = status.GetProperty("estimatedCostUsd").GetDecimal();
        }

        return
        [
            new("sample case (14 images, 1024 px, gemini-3-pro-image): estimatedCostUsd live", $"${costs["live"]}"),
            new("sample case: estimatedCostUsd in batch mode", $"${costs["batch"]} ({costs["batch"] / costs["live"]:0.00} × live)"),
        ];
    }

    /// <summary>Event latency with many open streams: N cases (10 at L = 1 s by default) with 10 SSE streams each and a
    /// webhook receiver; for every event, recorded (job_events.recorded_at) → SSE client and → webhook receiver; and the
    /// database transactions per second while the streams are open, against the same run without streams.</summary>
    public static async Task<IReadOnlyList<Figure>> EventsAsync(BenchOptions options)
    {
        const int cases = 10;
        const int streamsPerCase = 10;
        var figures = new List<Figure>();
        foreach (var streams in new[] { 0, streamsPerCase })
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            await using var pipeline = await Pipeline.StartAsync(latencyMs: 1000);
            var tenants = Enumerable.Range(0, cases).Select(i => $"events-{i}").ToList();
            var clients = await Task.WhenAll(tenants.Select(pipeline.Cluster.ClientForTenantAsync));
            var sseReceived = new ConcurrentBag<(Guid Job, long Sequence, DateTimeOffset At)>();
            using var stop = new CancellationTokenSource();

            var before = await pipeline.DatabaseTransactionsAsync();
            var clock = Stopwatch.StartNew();
            var jobs = await Task.WhenAll(tenants.Select(t =>
            {
                var request = Pipeline.SampleCase(t, 256);
                request["webhookUrl"] = receiver.Url;
                return pipeline.SubmitAsync(request);
            }));
            var readers = jobs.SelectMany((job, i) => Enumerable.Range(0, streams).Select(_ => ReadStreamAsync(clients[i], job, sseReceived, stop.Token))).ToList();
            await Task.WhenAll(jobs.Select(j => pipeline.WaitAsync(j, JobTimeout)));
            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30));
            var elapsed = clock.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(2));
            var transactions = await pipeline.DatabaseTransactionsAsync() - before;

            var recorded = await RecordedAtAsync(pipeline);
            if (streams > 0)
            {
                var sse = sseReceived.Where(e => recorded.ContainsKey((e.Job, e.Sequence)))
                    .Select(e => (e.At - recorded[(e.Job, e.Sequence)]).TotalMilliseconds).ToList();
                figures.Add(new($"event → SSE client, {cases * streams} open streams: p50 / p99",
                    $"{Stats.Percentile(sse, 50):0} / {Stats.Percentile(sse, 99):0} ms ({sse.Count} deliveries)"));
            }

            var hooks = receiver.Received.Where(h => recorded.ContainsKey((h.JobId, h.Sequence)))
                .Select(h => (h.ReceivedAt - recorded[(h.JobId, h.Sequence)]).TotalMilliseconds).ToList();
            figures.Add(new($"event → webhook receiver, {cases * streams} open streams: p50 / p99",
                $"{Stats.Percentile(hooks, 50):0} / {Stats.Percentile(hooks, 99):0} ms ({hooks.Count} webhooks)"));
            figures.Add(new($"database transactions/s over the run, {cases * streams} open streams",
                $"{transactions / (elapsed.TotalSeconds + 2):0} ({elapsed.TotalSeconds:0.0} s)"));
        }

        return figures;
    }

    /// <summary>Reads one job's SSE stream to its end, noting when each event arrived.</summary>
    static async Task ReadStreamAsync(HttpClient client, Guid job, ConcurrentBag<(Guid, long, DateTimeOffset)> received, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{job}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal) || line.StartsWith("id:", StringComparison.Ordinal))
            {
                received.Add((job, long.Parse(line[3..].Trim(), CultureInfo.InvariantCulture), DateTimeOffset.UtcNow));
            }
        }
    }

    static async Task<Dictionary<(Guid, long), DateTimeOffset>> RecordedAtAsync(Pipeline pipeline)
    {
        await using var connection = new NpgsqlConnection(pipeline.Cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT job_id, sequence, recorded_at FROM job_events", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var recorded = new Dictionary<(Guid, long), DateTimeOffset>();
        while (await reader.ReadAsync())
        {
            recorded[(reader.GetGuid(0), reader.GetInt64(1))] = reader.GetFieldValue<DateTimeOffset>(2);
        }

        return recorded;
    }
}
