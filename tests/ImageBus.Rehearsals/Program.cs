// Rehearsals of production on one machine: the five services as processes on the real RabbitMQ and PostgreSQL.
//   bench [makespan] [throughput] [burst] [events] [fairness] [cost] [--runs N] [--cases N]   figures (FakeGemini at a fixed latency,
//                                                                           no jitter, worker concurrency 16); asserts nothing
//   chaos [--fast] [--outage SECONDS] [--restarts N] [--cases N] [WORDS]    the chaos table; WORDS pick scenarios by name
//   either with --instances N: N instances of every service on a three-node RabbitMQ cluster of the run's own
using System.Globalization;
using ImageBus.Rehearsals;
using ImageBus.Testing;

var verb = args.FirstOrDefault();
var rest = args.Skip(1).ToArray();
var instances = IntOption(rest, "--instances", 1);
if (verb is not ("bench" or "chaos") || instances < 1)
{
    return Usage();
}

await using var brokerCluster = instances > 1 ? await PrivateServers.StartBrokerClusterAsync() : null;
Pipeline.Topology = brokerCluster is null ? Topology.OneOfEach : Topology.OnCluster(instances, brokerCluster.Endpoint);
Console.WriteLine($"on {Pipeline.Topology}");
return verb == "bench" ? await BenchAsync(rest) : await ChaosAsync(rest);

static async Task<int> BenchAsync(string[] args)
{
    var scenarios = Words(args);
    var options = new BenchOptions(Runs: IntOption(args, "--runs", 3), Cases: IntOption(args, "--cases", 100));
    var all = new Dictionary<string, Func<BenchOptions, Task<IReadOnlyList<Figure>>>>
    {
        ["makespan"] = BenchScenarios.MakespanAsync,
        ["throughput"] = BenchScenarios.ThroughputAsync,
        ["burst"] = BenchScenarios.BurstAsync,
        ["events"] = BenchScenarios.EventsAsync,
        ["fairness"] = BenchScenarios.FairnessAsync,
        ["cost"] = BenchScenarios.CostAsync,
    };
    var unknown = scenarios.Where(s => !all.ContainsKey(s)).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"unknown scenario(s) {string.Join(", ", unknown)}; known: {string.Join(", ", all.Keys)}");
        return 2;
    }

    var figures = new List<Figure>();
    foreach (var (name, run) in all.Where(s => scenarios.Count == 0 || scenarios.Contains(s.Key)))
    {
        Console.WriteLine($"== {name}");
        var found = await run(options);
        foreach (var figure in found)
        {
            Console.WriteLine($"   {figure.Name}: {figure.Value}");
        }

        figures.AddRange(found);
    }

    Console.WriteLine();
    Console.WriteLine($"| figure | value |  ({Pipeline.Topology}; load average {LoadAverage()}, {Environment.ProcessorCount} cores)");
    Console.WriteLine("|---|---|");
    foreach (var figure in figures)
    {
        Console.WriteLine($"| {figure.Name} | {figure.Value} |");
    }

    return 0;
}

static async Task<int> ChaosAsync(string[] args)
{
    var words = Words(args);
    var fast = args.Contains("--fast");
    var options = new ChaosScenarios.ChaosOptions(
        WebhookOutage: TimeSpan.FromSeconds(IntOption(args, "--outage", 120)), BrokerRestarts: IntOption(args, "--restarts", 10),
        BurstCases: IntOption(args, "--cases", 100));
    var chosen = ChaosScenarios.All.Where(s => (!fast || s.Fast)
        && (words.Count == 0 || words.Any(w => s.Name.Contains(w, StringComparison.OrdinalIgnoreCase)))).ToList();
    var rows = new List<ChaosRow>();
    foreach (var scenario in chosen)
    {
        Console.WriteLine($"== {scenario.Name}");
        var row = await scenario.Run(options);
        Console.WriteLine($"   {row}");
        rows.Add(row);
    }

    Console.WriteLine();
    Console.WriteLine($"| scenario | jobs | jobs lost | non-terminal past deadline | images generated twice | webhook events missing | bad inputs without a clear error | took | outcomes |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    foreach (var r in rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {r.Scenario} | {r.Jobs} | {r.JobsLost} | {r.StuckPastDeadline} | {r.ImagesGeneratedTwice} | {r.WebhookEventsMissing} | {r.BadInputsWithoutClearError} | {r.Took.TotalSeconds:0} s | {r.Outcomes} |"));
    }

    Console.WriteLine($"({Pipeline.Topology}; load average {LoadAverage()}, {Environment.ProcessorCount} cores)");
    return rows.All(r => r.AllZero) ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: ImageBus.Rehearsals bench [SCENARIO...] [--runs N] [--cases N] [--instances N] | chaos [--fast] [--outage S] [--restarts N] [--cases N] [--instances N] [WORDS]");
    return 2;
}

static List<string> Words(string[] args) =>
    args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal) || args[i - 1] == "--fast")).ToList();

static int IntOption(string[] args, string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) ? value : fallback;
}

static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
