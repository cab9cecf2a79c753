// Figures of the whole pipeline: the five services as processes on the real RabbitMQ and PostgreSQL, FakeGemini at a
// fixed latency with no jitter, worker concurrency 16. Prints one table; asserts nothing.
//   ./imagebus bench pipeline [makespan] [throughput] [burst] [events] [--runs N] [--cases N]
using ImageBus.PipelineBenchmarks;

var scenarios = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)).ToList();
var options = new BenchOptions(Runs: IntOption(args, "--runs", 3), Cases: IntOption(args, "--cases", 100));
var all = new Dictionary<string, Func<BenchOptions, Task<IReadOnlyList<Figure>>>>
{
    ["makespan"] = Scenarios.MakespanAsync,
    ["throughput"] = Scenarios.ThroughputAsync,
    ["burst"] = Scenarios.BurstAsync,
    ["events"] = Scenarios.EventsAsync,
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
Console.WriteLine($"| figure | value |  (load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {Environment.ProcessorCount} cores)");
Console.WriteLine("|---|---|");
foreach (var figure in figures)
{
    Console.WriteLine($"| {figure.Name} | {figure.Value} |");
}

return 0;

static int IntOption(string[] args, string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) ? value : fallback;
}
