using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ImageBus.Testing;
using Npgsql;

namespace ImageBus.Rehearsals;

public sealed record BenchOptions(int Runs, int Cases);

public sealed record Figure(string Name, string Value);

/// <summary>The services' scale and the broker of a rehearsal: one instance of each on the shared broker, or N on a
/// three-node cluster of the rehearsal's own (<see cref="Broker"/> its node 1, the nodes in <see cref="ServiceScale.BrokerNodes"/>).</summary>
public sealed record Topology(ServiceScale Scale, BrokerPorts? Broker)
{
    public static readonly Topology OneOfEach = new(ServiceScale.One, null);

    public static Topology OnCluster(int instances, BrokerClusterPorts cluster) =>
        new(new ServiceScale(instances, cluster.Nodes), new BrokerPorts(cluster.Amqp(1), cluster.Management(1)));

    public override string ToString() => Scale.Instances == 1 && Broker is null
        ? "one instance of every service, one RabbitMQ node"
        : $"{Scale.Instances} instances of every service, a three-node RabbitMQ cluster";
}

public sealed record GeminiCall(DateTimeOffset At, int Status, string? TraceId);

/// <summary>A cluster set up for measuring: quiet logs, FakeGemini at a fixed latency, and the helpers every scenario uses.</summary>
public sealed class Pipeline : IAsyncDisposable
{
    static readonly string[] Terminal = ["completed", "partial", "failed", "cancelled", "rejected"];

    Pipeline(ImageBusCluster cluster) => Cluster = cluster;

    public ImageBusCluster Cluster { get; }

    /// <summary>What every scenario of this run runs on (<c>--instances N</c>), set once at start.</summary>
    public static Topology Topology { get; set; } = Topology.OneOfEach;

    /// <summary>A cluster of <see cref="Topology"/>'s scale. A scenario that brings a broker of its own (to restart it, or
    /// kill a node of it) runs on that one node or three-node cluster.</summary>
    public static async Task<Pipeline> StartAsync(int latencyMs, IReadOnlyDictionary<string, string>? settings = null,
        BrokerPorts? broker = null, int? postgresPort = null, BrokerClusterPorts? brokerCluster = null)
    {
        var topology = brokerCluster is not null ? Topology.OnCluster(Topology.Scale.Instances, brokerCluster)
            : broker is not null ? new Topology(Topology.Scale with { BrokerNodes = [] }, broker)
            : Topology;
        var environment = new Dictionary<string, string>
        {
            ["FakeGemini__LatencyMs"] = latencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FakeGemini__LatencyJitterMs"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Worker__Concurrency"] = "16",
            // Unlimited unless a scenario sets a budget: the figure is the pipeline's, not the quota's.
            ["Worker__RequestsPerMinute"] = "100000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return new Pipeline(await ImageBusCluster.StartAsync(environment, topology.Broker, postgresPort, topology.Scale));
    }

    /// <summary>The sample case (deploy/sample-case.json: 10 evidence + 4 location images) of a tenant, at a size.</summary>
    public static JsonObject SampleCase(string tenantId, int imageSize)
    {
        var request = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy", "sample-case.json")))!.AsObject();
        request["tenantId"] = tenantId;
        request["imageSize"] = imageSize;
        request["caseId"] = $"bench-{Guid.NewGuid():N}";
        return request;
    }

    public async Task<Guid> SubmitAsync(JsonObject request) => await Cluster.SubmitAsync(request);

    /// <summary>Waits until the job is terminal, reading its status every 20 ms (or <paramref name="pollEvery"/>); returns the status.</summary>
    public async Task<JsonElement> WaitAsync(Guid jobId, TimeSpan timeout, TimeSpan? pollEvery = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var status = await Cluster.Admin.GetFromJsonAsync<JsonElement>($"/v1/jobs/{jobId}");
            if (IsTerminal(status))
            {
                return status;
            }

            await Task.Delay(pollEvery ?? TimeSpan.FromMilliseconds(20));
        }

        throw new TimeoutException($"job {jobId} not finished after {timeout}");
    }

    /// <summary>Waits until every job's saga has finished, with one query a second (a few transactions in all).</summary>
    public async Task WaitAllFinishedAsync(IReadOnlyCollection<Guid> jobs, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        await using var connection = new NpgsqlConnection(Cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE job_id = ANY(@jobs) AND finished_at IS NOT NULL", connection);
        count.Parameters.AddWithValue("jobs", jobs.ToArray());
        while ((long)(await count.ExecuteScalarAsync())! < jobs.Count)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{jobs.Count} jobs not finished after {timeout}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    public static bool IsTerminal(JsonElement status) => Terminal.Contains(status.GetProperty("status").GetString());

    /// <summary>FakeGemini's generateContent calls that arrived at or after <paramref name="since"/>, oldest first, with the
    /// trace id of the job they were made for (from their <c>traceparent</c>).</summary>
    public async Task<IReadOnlyList<GeminiCall>> GeminiCallsAsync(DateTimeOffset since)
    {
        using var http = new HttpClient();
        var requests = await http.GetFromJsonAsync<JsonElement>($"{Cluster.FakeGeminiUrl}/fake/requests");
        return requests.EnumerateArray()
            .Where(r => r.GetProperty("path").GetString()!.EndsWith(":generateContent", StringComparison.Ordinal))
            .Select(r => new GeminiCall(r.GetProperty("receivedAt").GetDateTimeOffset(), r.GetProperty("status").GetInt32(),
                r.GetProperty("traceParent").GetString() is [_, _, '-', .. var rest] && rest.Length >= 32 ? rest[..32] : null))
            .Where(r => r.At >= since)
            .OrderBy(r => r.At)
            .ToList();
    }

    /// <summary>CPU time so far of each ImageBus service, its instances added up (FakeGemini apart).</summary>
    public IReadOnlyDictionary<string, TimeSpan> ServicesCpuByService() =>
        Cluster.Services.Where(s => s.Name != "FakeGemini")
            .GroupBy(s => ServiceScale.ServiceOf(s.Name))
            .ToDictionary(g => g.Key, g => g.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.CpuTime));

    /// <summary>Transactions committed or rolled back in the cluster's database so far (PostgreSQL's statistics, flushed
    /// about once a second): every statement outside a transaction is one.</summary>
    public async Task<long> DatabaseTransactionsAsync()
    {
        await using var connection = new NpgsqlConnection(Cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT pg_stat_force_next_flush(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        await reader.ReadAsync();
        return reader.GetInt64(0);
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = p / 100 * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    public static string Range(IEnumerable<double> values, string format, string unit = "")
    {
        var list = values.ToList();
        return $"{list.Min().ToString(format, System.Globalization.CultureInfo.InvariantCulture)}–{list.Max().ToString(format, System.Globalization.CultureInfo.InvariantCulture)}{unit}"
            + $" (median {Percentile(list, 50).ToString(format, System.Globalization.CultureInfo.InvariantCulture)}{unit})";
    }
}
